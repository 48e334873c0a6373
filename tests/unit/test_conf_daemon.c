/* conf/conf_daemon.c: uipsecd.conf's loggers as charon's strongswan.conf
 * has them, the refusals (all of them at once, with line and column), and
 * the example file that make install puts in /etc/uipsec. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf_daemon.h"

static int parse(const char *text, struct conf_daemon *d, char *err, size_t errlen)
{
	return conf_daemon_parse_buffer(text, strlen(text), "u.conf", d, err, errlen);
}

static void test_loggers(void **state)
{
	struct conf_daemon d;
	char err[2048];
	const struct log_sink_cfg *s;

	(void)state;
	assert_int_equal(parse("uipsecd {\n"
	                       "  filelog {\n"
	                       "    /var/log/uipsec/u {\n"
	                       "      ike = 2\n"            /* before default: still 2 */
	                       "      default = 0\n"
	                       "      KNL = -1\n"
	                       "      append = no\n"
	                       "      flush_line = yes\n"
	                       "      ike_name = no\n"
	                       "      log_level = yes\n"
	                       "      time_format = %b %e %T\n"
	                       "      time_add_ms = yes\n"
	                       "    }\n"
	                       "    other { path = /var/log/uipsec/a.b.log }\n"
	                       "    stderr { cfg = 4 }\n"
	                       "  }\n"
	                       "  syslog {\n"
	                       "    identifier = vpn\n"
	                       "    auth { default = -1\n ike = 0\n map_level = 5 }\n"
	                       "    daemon { }\n"
	                       "  }\n"
	                       "  journal { chd = 3 }\n"
	                       "}\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.log.nsinks, 6);
	assert_string_equal(d.log.syslog_ident, "vpn");

	s = &d.log.sink[0];
	assert_int_equal(s->target, LOG_TARGET_FILE);
	assert_string_equal(s->path, "/var/log/uipsec/u");
	assert_int_equal(s->level[LOG_SUB_IKE], 2);
	assert_int_equal(s->level[LOG_SUB_KNL], -1);
	assert_int_equal(s->level[LOG_SUB_DMN], 0);
	assert_false(s->append);
	assert_false(s->ike_name);
	assert_true(s->log_level);
	assert_string_equal(s->time_format, "%b %e %T");
	assert_true(s->time_add_ms);

	s = &d.log.sink[1];
	assert_string_equal(s->path, "/var/log/uipsec/a.b.log");
	assert_true(s->append);
	assert_true(s->ike_name);            /* uipsec's default */
	assert_int_equal(s->level[LOG_SUB_ESP], 1);

	s = &d.log.sink[2];
	assert_int_equal(s->target, LOG_TARGET_STDERR);
	assert_int_equal(s->level[LOG_SUB_CFG], 4);
	assert_int_equal(s->level[LOG_SUB_IKE], 1);

	s = &d.log.sink[3];
	assert_int_equal(s->target, LOG_TARGET_SYSLOG);
	assert_int_equal(s->facility, log_syslog_facility("auth"));
	assert_int_equal(s->level[LOG_SUB_IKE], 0);
	assert_int_equal(s->level[LOG_SUB_CHD], -1);
	assert_int_equal(s->map_level, 5);
	s = &d.log.sink[4];
	assert_int_equal(s->facility, log_syslog_facility("daemon"));
	assert_int_equal(s->map_level, LOG_MAP_SEVERITY);

	s = &d.log.sink[5];
	assert_int_equal(s->target, LOG_TARGET_JOURNAL);
	assert_int_equal(s->level[LOG_SUB_CHD], 3);
	assert_string_equal(s->path, "");
}

static void test_empty_and_missing(void **state)
{
	struct conf_daemon d;
	char err[256];

	(void)state;
	assert_int_equal(parse("", &d, err, sizeof(err)), 0);
	assert_int_equal(d.log.nsinks, 0);
	assert_int_equal(parse("uipsecd { }\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.log.nsinks, 0);
	assert_int_equal(conf_daemon_load("/nonexistent/uipsecd.conf", &d, err, sizeof(err)),
	                 -ENOENT);
}

/* uipsecd.fragment_size, charon.fragment_size's counterpart: 1280 unless
 * set, 0 or 256..65535. */
static void test_fragment_size(void **state)
{
	struct conf_daemon d;
	char err[1024];

	(void)state;
	assert_int_equal(parse("", &d, err, sizeof(err)), 0);
	assert_int_equal(d.fragment_size, 1280);
	assert_int_equal(parse("uipsecd { fragment_size = 576 }\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.fragment_size, 576);
	assert_int_equal(parse("uipsecd { fragment_size = 0 }\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.fragment_size, 0);
	assert_int_equal(parse("uipsecd {\n fragment_size = 100\n}\n", &d, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "u.conf:2:2: uipsecd.fragment_size: '100' is not 0 or a number "
	                            "from 256 to 65535"));
	assert_int_equal(parse("uipsecd {\n fragment_size = 70000\n}\n", &d, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "uipsecd.fragment_size: '70000' is not a number from 0 to 65535"));
	assert_int_equal(parse("uipsecd {\n fragment_size = big\n}\n", &d, err, sizeof(err)),
	                 -EINVAL);
}

/* uipsecd.raw_esp, charon.plugins.kernel-libipsec.raw_esp's counterpart:
 * no unless set, yes or no. */
static void test_raw_esp(void **state)
{
	struct conf_daemon d;
	char err[1024];

	(void)state;
	assert_int_equal(parse("", &d, err, sizeof(err)), 0);
	assert_false(d.raw_esp);
	assert_int_equal(parse("uipsecd { raw_esp = yes }\n", &d, err, sizeof(err)), 0);
	assert_true(d.raw_esp);
	assert_int_equal(parse("uipsecd { raw_esp = no }\n", &d, err, sizeof(err)), 0);
	assert_false(d.raw_esp);
	assert_int_equal(parse("uipsecd {\n raw_esp = maybe\n}\n", &d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "u.conf:2:2: uipsecd.raw_esp: 'maybe' is not yes or no"));
}

/* uipsecd.resolve (charon's resolve plugin): on unless enable = no; the
 * resolvconf record name; file (charon writes resolv.conf) refused. */
static void test_resolve(void **state)
{
	struct conf_daemon d;
	char err[1024];

	(void)state;
	assert_int_equal(parse("", &d, err, sizeof(err)), 0);
	assert_false(d.resolve_off);
	assert_string_equal(d.resolve_iface, "");
	assert_int_equal(parse("uipsecd { resolve { enable = no } }\n", &d, err, sizeof(err)), 0);
	assert_true(d.resolve_off);
	assert_int_equal(parse("uipsecd { resolve { enable = yes\n resolvconf_iface = vpn.x } }\n",
	                       &d, err, sizeof(err)), 0);
	assert_false(d.resolve_off);
	assert_string_equal(d.resolve_iface, "vpn.x");
	assert_int_equal(parse("uipsecd {\n resolve {\n  file = /etc/resolv.conf\n }\n}\n", &d, err,
	                       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "u.conf:3:3: uipsecd.resolve.file: not supported"));
	assert_int_equal(parse("uipsecd { resolve { resolvconf_iface = ../x } }\n", &d, err,
	                       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "uipsecd.resolve.resolvconf_iface: '../x' is not"));
	assert_int_equal(parse("uipsecd { resolve { iface = x } }\n", &d, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "uipsecd.resolve.iface: unknown option"));
	assert_int_equal(parse("uipsecd { resolve { enable = maybe } }\n", &d, err, sizeof(err)),
	                 -EINVAL);
}

/* Every mistake of a file at once, each with its line and column. */
/* charon's retransmit_* settings, in the uipsecd section; what is not
 * given stays unset (the IKE core's defaults), nonsense is refused. */
static void test_retransmit(void **state)
{
	struct conf_daemon d;
	char err[2048];

	(void)state;
	assert_int_equal(parse("uipsecd {\n retransmit_tries = 3\n retransmit_timeout = 0.5\n"
	                       " retransmit_base = 2\n retransmit_jitter = 20\n"
	                       " retransmit_limit = 30\n}\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.retransmit.given, CONF_RETX_TRIES | CONF_RETX_TIMEOUT | CONF_RETX_BASE |
	                                     CONF_RETX_JITTER | CONF_RETX_LIMIT);
	assert_int_equal(d.retransmit.tries, 3);
	assert_true(d.retransmit.timeout == 0.5 && d.retransmit.base == 2.0);
	assert_int_equal(d.retransmit.jitter, 20);
	assert_true(d.retransmit.limit == 30.0);
	assert_int_equal(parse("uipsecd {\n retransmit_timeout = 4\n}\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.retransmit.given, CONF_RETX_TIMEOUT);
	assert_int_equal(parse("uipsecd {\n retransmit_tries = 101\n retransmit_timeout = 0\n"
	                       " retransmit_base = 0.5\n retransmit_jitter = x\n}\n", &d, err,
	                       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "uipsecd.retransmit_tries: '101' is not a number from 0 to 100"));
	assert_non_null(strstr(err, "uipsecd.retransmit_timeout: '0' is not a number above 0 and at most 3600"));
	assert_non_null(strstr(err, "uipsecd.retransmit_base: '0.5' is not a number from 1 to 10"));
	assert_non_null(strstr(err, "uipsecd.retransmit_jitter: 'x' is not a number"));
}

static void test_refusals(void **state)
{
	struct conf_daemon d;
	char err[4096];

	(void)state;
	assert_int_equal(parse("threads = 4\n"                          /* 1 */
	                       "charon { }\n"                           /* 2 */
	                       "uipsecd {\n"
	                       "  user = uipsec\n"                      /* 4 */
	                       "  filelog {\n"
	                       "    relative { }\n"                     /* 6 */
	                       "    /log { default = 5 }\n"             /* 7 */
	                       "    stderr { ike = two\n append = maybe\n colour = yes }\n" /* 8-10 */
	                       "  }\n"
	                       "  syslog {\n"
	                       "    kern { }\n"                         /* 13 */
	                       "    daemon { map_level = 9 }\n"         /* 14 */
	                       "  }\n"
	                       "  journal { path = /x\n sub { } }\n"    /* 16-17 */
	                       "}\n", &d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "u.conf:1:1: threads: unknown option at the top level"));
	assert_non_null(strstr(err, "u.conf:2:1: charon: uipsecd reads its settings from a section "
	                            "named uipsecd"));
	assert_non_null(strstr(err, "u.conf:4:3: uipsecd.user: unknown option"));
	assert_non_null(strstr(err, "u.conf:6:5: uipsecd.filelog.relative: 'relative' is not an "
	                            "absolute path"));
	assert_non_null(strstr(err, "u.conf:7:12: uipsecd.filelog./log.default: '5' is not a number "
	                            "from -1 to 4"));
	assert_non_null(strstr(err, "u.conf:8:14: uipsecd.filelog.stderr.ike: 'two' is not a number"));
	assert_non_null(strstr(err, "u.conf:9:2: uipsecd.filelog.stderr.append: 'maybe' is not yes "
	                            "or no"));
	assert_non_null(strstr(err, "u.conf:10:2: uipsecd.filelog.stderr.colour: unknown option"));
	assert_non_null(strstr(err, "u.conf:13:5: uipsecd.syslog.kern: unknown syslog facility"));
	assert_non_null(strstr(err, "u.conf:14:14: uipsecd.syslog.daemon.map_level: '9' is not a "
	                            "number from -1 to 7"));
	assert_non_null(strstr(err, "u.conf:16:13: uipsecd.journal.path: unknown option"));
	assert_non_null(strstr(err, "u.conf:17:2: uipsecd.journal.sub: unknown section"));
	/* one line each */
	{
		unsigned lines = 1;
		for (const char *p = err; *p; p++)
			lines += *p == '\n';
		assert_true(lines >= 12);
	}
}

/* The example make install puts in /etc/uipsec loads (everything in it is
 * commented out), and so does its commented block once uncommented. */
static void test_example(void **state)
{
	const char *src = getenv("UIPSEC_SRC");
	char path[512], err[2048], *buf, *out;
	struct conf_daemon d;
	FILE *f;
	long n;
	size_t o = 0;

	(void)state;
	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/dist/uipsecd.conf", src);
	assert_int_equal(conf_daemon_load(path, &d, err, sizeof(err)), 0);
	assert_int_equal(d.log.nsinks, 0);

	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	out = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* "    # x" (indented: inside the uipsecd section) becomes "    x" */
	for (char *line = buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		char *h = line + strspn(line, " ");
		if (line[0] == ' ' && h[0] == '#' && h[1] == ' ')
			memmove(h, h + 2, strlen(h + 2) + 1);
		o += (size_t)sprintf(out + o, "%s\n", line);
	}
	assert_int_equal(conf_daemon_parse_buffer(out, o, "example", &d, err, sizeof(err)), 0);
	assert_int_equal(d.log.nsinks, 4);   /* a file, syslog daemon and auth, the journal */
	assert_int_equal(d.log.sink[0].target, LOG_TARGET_FILE);
	assert_int_equal(d.log.sink[0].level[LOG_SUB_IKE], 2);
	assert_int_equal(d.log.sink[3].target, LOG_TARGET_JOURNAL);
	assert_int_equal(d.fragment_size, 1280);
	assert_false(d.raw_esp);
	free(buf);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loggers),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_fragment_size),
		cmocka_unit_test(test_raw_esp),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
