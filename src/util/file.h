/* Reading a whole (small) file into memory, with a size limit: credential
 * files, certificates, CRLs. libc only. */
#ifndef UIPSEC_UTIL_FILE_H
#define UIPSEC_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read path into a malloc'd buffer (*data, *len; one extra NUL byte after
 * the data, not counted). Files larger than max are refused with -EFBIG;
 * other failures return a negative errno. A reason goes into err. The
 * caller frees *data (with mem_free_wipe for key files: this function
 * leaves no other copy behind). */
int file_read(const char *path, size_t max, uint8_t **data, size_t *len,
              char *err, size_t errlen);

#endif
