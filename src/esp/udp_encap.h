/* UDP encapsulation of ESP (RFC 3948): what arrives on UDP port 4500.
 *
 *   NAT keepalive   a single 0xff byte (section 2.3)
 *   IKE             a non-ESP marker of four zero bytes, whatever follows
 *                   (section 2.2; IKE refuses what is not a message)
 *   ESP             anything else of 8 bytes or more: the SPI (never 0,
 *                   since four zero bytes are the marker) and the packet */
#ifndef UIPSEC_ESP_UDP_ENCAP_H
#define UIPSEC_ESP_UDP_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_ENCAP_PORT 4500
#define UDP_ENCAP_NON_ESP_MARKER_LEN 4

enum udp_encap_kind {
	UDP_ENCAP_KIND_INVALID = 0,   /* too short to be any of them: drop */
	UDP_ENCAP_KIND_KEEPALIVE,
	UDP_ENCAP_KIND_IKE,           /* skip the 4-byte marker to get the IKE message */
	UDP_ENCAP_KIND_ESP,
};

/* Classify the UDP payload (after the UDP header) of len bytes. ESP needs
 * at least the 8 bytes of SPI and sequence number; IKE only the marker
 * (a short IKE message is IKE's to refuse, not an ESP packet with SPI 0).
 * INVALID: fewer than 8 bytes that are neither. */
enum udp_encap_kind udp_encap_classify(const uint8_t *payload, size_t len);

const char *udp_encap_kind_name(enum udp_encap_kind k);

#endif
