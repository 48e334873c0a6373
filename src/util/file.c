/* Whole-file reads with a size limit (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"
#include "util/mem.h"

int file_read(const char *path, size_t max, uint8_t **data, size_t *len,
              char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc = 0;

	*data = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		log_reason(err, errlen, "cannot open: %s", strerror(-rc));
		return rc;
	}
	/* Unbuffered: no copy of a key file is left in stdio's buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	if (fstat(fileno(f), &st) != 0) {
		rc = -errno;
		log_reason(err, errlen, "cannot stat: %s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		log_reason(err, errlen, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = -EFBIG;
		log_reason(err, errlen, "file of %jd bytes is larger than %zu bytes", (intmax_t)st.st_size, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		log_reason(err, errlen, "out of memory");
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f) || n != (size_t)st.st_size) {
		rc = -EIO;
		log_reason(err, errlen, "read error");
		mem_free_wipe(buf, (size_t)st.st_size + 1);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
out:
	fclose(f);
	return rc;
}
