/* Capture files without libpcap: a writer for classic pcap (the 24-byte
 * header and 16-byte record headers) and a reader for classic pcap (either
 * byte order, microsecond or nanosecond timestamps) and pcapng (SHB, IDB,
 * EPB, SPB; other blocks are skipped), plus a helper that finds the IP
 * packet inside a frame of the common link types.
 *
 * The reader works on a byte buffer it owns (pcap_reader_open reads the
 * whole file) so the fuzz target can drive it from memory. Every length in
 * the file is checked against the bytes that remain; a lie ends the read
 * with an error, never an out-of-bounds access. */
#ifndef UIPSEC_DP_PCAP_H
#define UIPSEC_DP_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Link types (tcpdump.org/linktypes.html). */
#define PCAP_LINKTYPE_ETHERNET   1
#define PCAP_LINKTYPE_RAW        101   /* raw IPv4/IPv6, version nibble decides */
#define PCAP_LINKTYPE_LINUX_SLL  113
#define PCAP_LINKTYPE_IPV4       228
#define PCAP_LINKTYPE_IPV6       229
#define PCAP_LINKTYPE_LINUX_SLL2 276

/* Largest record we accept or write (pcap's usual snaplen). */
#define PCAP_SNAPLEN 262144u

/* ---- writer ---- */

struct pcap_writer;

/* Create (truncate) path and write the file header for linktype.
 * NULL on error, with a one-line reason in err (may be NULL). */
struct pcap_writer *pcap_writer_open(const char *path, uint32_t linktype,
                                     char *err, size_t errlen);
/* Write to an already open stream (not closed by pcap_writer_close). */
struct pcap_writer *pcap_writer_new(FILE *f, uint32_t linktype);
/* Append one record; data is copied. ts_ns is the capture time in
 * nanoseconds since the epoch (stored with microsecond resolution).
 * Records longer than PCAP_SNAPLEN are truncated (orig_len keeps the real
 * length). Returns 0 or -EIO. */
int pcap_write(struct pcap_writer *w, const void *data, uint32_t len, uint64_t ts_ns);
/* Flush, close (if opened by pcap_writer_open) and free. Returns 0 or -EIO. */
int pcap_writer_close(struct pcap_writer *w);

/* ---- reader ---- */

struct pcap_reader;

struct pcap_record {
	const uint8_t *data;   /* points into the reader's buffer; valid until the next call */
	uint32_t caplen;       /* bytes at data */
	uint32_t origlen;      /* length on the wire */
	uint64_t ts_ns;        /* nanoseconds since the epoch */
	uint32_t linktype;     /* of this record's interface */
	uint32_t iface;        /* pcapng interface id (0 for classic pcap) */
};

/* Read the whole file (at most 1 GiB) and check its header. NULL on error
 * with the reason in err. */
struct pcap_reader *pcap_reader_open(const char *path, char *err, size_t errlen);
/* Parse len bytes at data (copied). NULL on error with the reason in err. */
struct pcap_reader *pcap_reader_open_mem(const void *data, size_t len,
                                         char *err, size_t errlen);
void pcap_reader_close(struct pcap_reader *r);

/* Next packet record: 1 and *rec filled, 0 at the end of the file, or
 * -EINVAL for a malformed file (pcap_reader_error() says why; reading
 * stops there). */
int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec);
const char *pcap_reader_error(const struct pcap_reader *r);
/* "pcap" or "pcapng". */
const char *pcap_reader_format(const struct pcap_reader *r);
/* Link type of the file (classic) or of the first interface (pcapng). */
uint32_t pcap_reader_linktype(const struct pcap_reader *r);

/* ---- link layer ---- */

/* Find the IP packet in a frame of linktype: Ethernet (with any number of
 * 802.1Q/802.1ad tags), RAW, IPV4, IPV6, Linux SLL and SLL2. On success
 * sets *ip and *iplen (a sub-range of frame, not yet validated as IP beyond the
 * version nibble) and returns 0; -ENOENT if the frame holds no IP packet
 * (ARP, ...), -EINVAL if it is truncated, -EPROTONOSUPPORT for an unknown
 * link type. */
int pcap_link_ip(uint32_t linktype, const uint8_t *frame, uint32_t len,
                 const uint8_t **ip, uint32_t *iplen);

/* "EN10MB", "RAW", ... for messages. */
const char *pcap_linktype_name(uint32_t linktype);

#endif
