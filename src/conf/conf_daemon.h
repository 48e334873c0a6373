/* uipsecd's own settings: uipsecd.conf, in strongswan.conf's syntax
 * (conf_settings.h), with one top-level section "uipsecd" that holds what
 * strongswan.conf's "charon" section holds for charon. Today: the
 * loggers, named and shaped as charon's (strongswan.conf(5), LOGGER
 * CONFIGURATION) and charon-systemd's journal, and the IKE fragment size:
 *
 *   uipsecd {
 *       filelog {
 *           NAME {                  # NAME: a path, or stderr / stdout
 *               path = FILE         # overrides NAME
 *               default = 1         # level -1..4 of every subsystem
 *               ike = 2             # dmn mgr ike chd job cfg knl net asn
 *                                   # enc tnc imc imv pts tls app esp lib
 *               append = yes
 *               flush_line = no     # accepted: uipsecd flushes every line
 *               ike_name = yes      # "<conn|id>" (charon's default: no)
 *               log_level = no      # "[IKE1]"
 *               time_format = %b %e %T
 *               time_add_ms = no
 *           }
 *       }
 *       syslog {
 *           identifier = uipsecd    # openlog(3) ident
 *           daemon {                # facility: daemon auth authpriv user local0..7
 *               default = 1, SUBSYSTEM = N, ike_name, log_level
 *               map_level = N       # -1: all LOG_INFO (charon's default);
 *                                   # unset: by severity (uipsec's)
 *           }
 *       }
 *       journal {                   # systemd journal, native protocol
 *           default = 1, SUBSYSTEM = N, ike_name, log_level
 *       }
 *       retransmit_tries = 7        # IKE retransmission, as charon's
 *       retransmit_timeout = 1.0    # (seconds; strongswan.conf(5)); unset:
 *       retransmit_base = 1.8       # the IKE core's defaults
 *       retransmit_jitter = 0       # (ike.h, ike_retransmit_defaults)
 *       retransmit_limit = 0
 *       fragment_size = 1280        # charon.fragment_size: the largest IP
 *                                   # datagram of an IKE fragment (0: 576
 *                                   # over IPv4, 1280 over IPv6)
 *       raw_esp = no                # charon's kernel-libipsec.raw_esp: no
 *                                   # (default): fake a NAT in IKE_SA_INIT
 *                                   # so that a NAT-T peer uses ESP in UDP
 *                                   # (the fast path); yes: raw ESP unless
 *                                   # a NAT or encap = yes says otherwise
 *       resolve {                   # charon's resolve plugin: DNS servers
 *           enable = yes            # a client receives to resolvconf -a
 *           resolvconf_iface = ipsec0.uipsec   # (this record; default
 *       }                           # TUN.uipsec) or resolvectl dns TUN;
 *                                   # read at start (docs/remote-access.md)
 *   }
 *
 * Every refusal names file, line and column; all of a file's refusals are
 * reported at once. Layering: conf uses util only here. */
#ifndef UIPSEC_CONF_CONF_DAEMON_H
#define UIPSEC_CONF_CONF_DAEMON_H

#include <stddef.h>

#include "util/log.h"

#ifndef UIPSEC_SYSCONFDIR
#define UIPSEC_SYSCONFDIR "/etc"
#endif
#define CONF_DAEMON_DEFAULT_PATH UIPSEC_SYSCONFDIR "/uipsec/uipsecd.conf"

/* The retransmission settings given (CONF_RETX_* bits in given). */
enum {
	CONF_RETX_TRIES = 1u << 0, CONF_RETX_TIMEOUT = 1u << 1, CONF_RETX_BASE = 1u << 2,
	CONF_RETX_JITTER = 1u << 3, CONF_RETX_LIMIT = 1u << 4,
};
#define CONF_DAEMON_FRAGMENT_SIZE 1280   /* charon.fragment_size's default */

struct conf_daemon {
	/* the loggers the file defines, in file order (nsinks 0: none;
	 * ident empty: the program's) */
	struct log_config log;
	struct conf_retransmit {
		unsigned given;
		unsigned tries, jitter;          /* 0..100 each */
		double timeout, base, limit;     /* (0, 3600], [1, 10], [0, 86400] */
	} retransmit;
	/* uipsecd.fragment_size (IKE fragmentation, RFC 7383): 0, or 256 to
	 * 65535 bytes; CONF_DAEMON_FRAGMENT_SIZE when not set */
	unsigned fragment_size;
	bool raw_esp;                   /* uipsecd.raw_esp (default no) */
	/* uipsecd.resolve (charon's resolve plugin): enable = no sets
	 * resolve_off; resolvconf_iface ("" when not set: TUN.uipsec) */
	bool resolve_off;
	char resolve_iface[64];
};

/* Read path into out. 0; -ENOENT if there is no such file (out holds the
 * defaults: no loggers, the default fragment size); another negative errno with every reason, one
 * per line, "file:line:col: uipsecd.x.y: message", in err. */
int conf_daemon_load(const char *path, struct conf_daemon *out, char *err, size_t errlen);
/* The same for len bytes at buf (name in messages); includes refused. */
int conf_daemon_parse_buffer(const char *buf, size_t len, const char *name,
                             struct conf_daemon *out, char *err, size_t errlen);

#endif
