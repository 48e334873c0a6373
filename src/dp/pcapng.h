/* A pcapng writer (draft-ietf-opsawg-pcapng): one section, any number of
 * interfaces (uipsec capture gives each capture point its own, named
 * after the point), enhanced packet blocks with nanosecond timestamps and
 * an optional comment (tshark: frame.comment; Wireshark: "Packet
 * comments"), which carries a drop's reason. Blocks are written in host
 * byte order, as the format allows; dp/pcap.h reads them back.
 *
 * Ownership: the writer owns its FILE unless it was given one. */
#ifndef UIPSEC_DP_PCAPNG_H
#define UIPSEC_DP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcapng_writer;

/* Create (truncate) path and write the section header; NULL on error with
 * a one-line reason in err (may be NULL). */
struct pcapng_writer *pcapng_writer_open(const char *path, char *err, size_t errlen);
/* Write to an already open stream (not closed by pcapng_writer_close). */
struct pcapng_writer *pcapng_writer_new(FILE *f);
/* Add an interface of linktype named name (may be NULL); returns its id
 * (0, 1, ...) or -EIO. */
int pcapng_add_iface(struct pcapng_writer *w, uint32_t linktype, const char *name);
/* Append a packet on interface iface: len bytes of data (truncated to
 * PCAP_SNAPLEN; origlen is the length on the wire, at least len), time
 * ts_ns (nanoseconds since the epoch), comment (NULL: none; at most
 * 65535 bytes used). 0, -EINVAL (unknown interface) or -EIO. */
int pcapng_write(struct pcapng_writer *w, uint32_t iface, const void *data, uint32_t len,
                 uint32_t origlen, uint64_t ts_ns, const char *comment);
/* Flush, close (if opened here), free. 0 or -EIO. */
int pcapng_writer_close(struct pcapng_writer *w);

#endif
