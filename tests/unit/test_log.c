/* util/log.c: subsystems and charon levels, the sink table (files with
 * their own levels and formats, the journal's native protocol on a
 * socket of our own), a failed reconfiguration keeping the old sinks,
 * control characters, syslog's datagrams on a socket of our own, a
 * reload that opens nothing, and logging from threads while the sinks
 * change. */
#define LOG_SUBSYS LOG_SUB_CHD   /* this file's lines: [CHD] (log.h) */

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>

#include "util/log.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_log.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	log_set_level(LOG_INFO);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* The whole file, NUL-terminated (static, at most 64 KiB). */
static const char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static struct log_sink_cfg *file_sink(struct log_config *c, const char *name, int level)
{
	struct log_sink_cfg *s = log_config_add(c, LOG_TARGET_FILE);

	assert_non_null(s);
	snprintf(s->path, sizeof(s->path), "%s", path_of(name));
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		s->level[i] = (int8_t)level;
	return s;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(log_sub_name(LOG_SUB_IKE), "ike");
	assert_string_equal(log_sub_name(LOG_SUB_LIB), "lib");
	assert_null(log_sub_name(LOG_SUB_COUNT));
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		assert_int_equal(log_sub_parse(log_sub_name((enum log_sub)i)), i);
	assert_int_equal(log_sub_parse("KNL"), LOG_SUB_KNL);
	assert_int_equal(log_sub_parse("any"), -1);
	assert_int_equal(log_sub_parse(""), -1);
	/* charon's numbers: err 0, warn and info 1 (the default), debug 2 */
	assert_int_equal(log_level_charon(LOG_ERR), 0);
	assert_int_equal(log_level_charon(LOG_WARN), 1);
	assert_int_equal(log_level_charon(LOG_INFO), 1);
	assert_int_equal(log_level_charon(LOG_DEBUG), 2);
	assert_true(log_syslog_facility("daemon") >= 0);
	assert_true(log_syslog_facility("local7") > log_syslog_facility("local0"));
	assert_int_equal(log_syslog_facility("kern"), -1);
}

/* Two files with different levels per subsystem get different lines. */
static void test_levels_per_sink(void **state)
{
	struct log_config c = { .ident = "t" };
	struct log_sink_cfg *a, *b;
	struct log_ctx ctx = { "site", 7 };
	char err[256];
	const char *s;

	(void)state;
	a = file_sink(&c, "a.log", 1);
	a->level[LOG_SUB_IKE] = 2;
	a->level[LOG_SUB_KNL] = -1;
	b = file_sink(&c, "b.log", 0);
	b->ike_name = false;
	b->log_level = true;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);

	assert_true(log_enabled(LOG_SUB_IKE, LOG_DEBUG));
	assert_false(log_enabled(LOG_SUB_CFG, LOG_DEBUG));
	assert_true(log_enabled(LOG_SUB_KNL, LOG_ERR));   /* b has knl at 0 */
	assert_false(log_enabled(LOG_SUB_KNL, LOG_INFO));

	log_write(LOG_SUB_IKE, LOG_DEBUG, &ctx, "ike debug %d", 1);
	log_write(LOG_SUB_IKE, LOG_INFO, &ctx, "ike info");
	log_write(LOG_SUB_IKE, LOG_ERR, &ctx, "ike err");
	log_sub(LOG_SUB_KNL, LOG_INFO, "knl info");
	log_sub(LOG_SUB_KNL, LOG_ERR, "knl err");
	log_sub(LOG_SUB_CFG, LOG_DEBUG, "cfg debug");
	log_info("this file's subsystem");
	log_debug("not at level 1");

	s = slurp(path_of("a.log"));
	assert_string_equal(s,
	                    "t[debug]: [IKE] <site|7> ike debug 1\n"
	                    "t[info]: [IKE] <site|7> ike info\n"
	                    "t[err]: [IKE] <site|7> ike err\n"
	                    "t[info]: [CHD] this file's subsystem\n");
	s = slurp(path_of("b.log"));
	assert_string_equal(s,
	                    "t[err]: [IKE0] ike err\n"
	                    "t[err]: [KNL0] knl err\n");
}

static void test_context_and_control_chars(void **state)
{
	struct log_config c = { .ident = "t" };
	struct log_ctx unnamed = { NULL, 3 }, evil = { "a\nb", 4 };
	char err[256];

	(void)state;
	file_sink(&c, "c.log", 1);
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);
	log_write(LOG_SUB_IKE, LOG_INFO, &unnamed, "responder");
	log_write(LOG_SUB_IKE, LOG_WARN, &evil, "id %s", "x\ny\r\x1b[0m");
	assert_string_equal(slurp(path_of("c.log")),
	                    "t[info]: [IKE] <(unnamed)|3> responder\n"
	                    "t[warn]: [IKE] <a?b|4> id x?y??[0m\n");
}

static void test_time_format(void **state)
{
	struct log_config c = { .ident = "t" };
	struct log_sink_cfg *s;
	char err[256];
	regex_t re;

	(void)state;
	s = file_sink(&c, "d.log", 1);
	snprintf(s->time_format, sizeof(s->time_format), "%%Y-%%m-%%d %%H:%%M:%%S");
	s->time_add_ms = true;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);
	log_info("stamped");
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
	                         "\\.[0-9]{3} t\\[info\\]: \\[CHD\\] stamped\n$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, slurp(path_of("d.log")), 0, NULL, 0), 0);
	regfree(&re);
}

/* append = no truncates at open; yes (the default) keeps what was there. */
static void test_append(void **state)
{
	struct log_config c = { .ident = "t" };
	struct log_sink_cfg *s;
	char err[256];

	(void)state;
	s = file_sink(&c, "e.log", 1);
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);
	log_info("one");
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);   /* reopened: appends */
	log_info("two");
	assert_string_equal(slurp(path_of("e.log")), "t[info]: [CHD] one\nt[info]: [CHD] two\n");
	s->append = false;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);
	log_info("three");
	assert_string_equal(slurp(path_of("e.log")), "t[info]: [CHD] three\n");
}

/* A sink that cannot open leaves the previous configuration in place. */
static void test_failed_configure_keeps_old(void **state)
{
	struct log_config good = { .ident = "t" }, bad = { .ident = "t" };
	struct log_sink_cfg *s;
	char err[256] = "";

	(void)state;
	file_sink(&good, "f.log", 1);
	assert_int_equal(log_configure(&good, err, sizeof(err)), 0);

	file_sink(&bad, "g.log", 2);
	s = log_config_add(&bad, LOG_TARGET_FILE);
	snprintf(s->path, sizeof(s->path), "%s/no/such/dir/x.log", dir);
	assert_int_equal(log_configure(&bad, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no/such/dir/x.log"));

	bad.nsinks = 1;     /* g.log only, then a journal nobody listens on */
	s = log_config_add(&bad, LOG_TARGET_JOURNAL);
	snprintf(s->path, sizeof(s->path), "%s/journal-missing", dir);
	assert_int_equal(log_configure(&bad, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no systemd journal"));

	log_info("still here");
	log_debug("still not at debug");
	assert_string_equal(slurp(path_of("f.log")), "t[info]: [CHD] still here\n");
	assert_string_equal(slurp(path_of("g.log")), "");
}

/* The journal's native protocol: one datagram of KEY=value lines with
 * charon-systemd's fields. */
static void test_journal(void **state)
{
	struct log_config c = { .ident = "uipsecd" };
	struct log_sink_cfg *s;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	struct log_ctx ctx = { "s2s", 12 };
	char err[256], buf[2048];
	ssize_t n;
	int fd;

	(void)state;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_of("journal"));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);

	s = log_config_add(&c, LOG_TARGET_JOURNAL);
	snprintf(s->path, sizeof(s->path), "%s", sa.sun_path);
	s->level[LOG_SUB_KNL] = 2;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);

	log_write(LOG_SUB_IKE, LOG_INFO, &ctx, "IKE_SA %s established", "s2s");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "MESSAGE=<s2s|12> IKE_SA s2s established\n"
	                         "PRIORITY=6\n"
	                         "SYSLOG_IDENTIFIER=uipsecd\n"
	                         "GROUP=IKE\n"
	                         "LEVEL=1\n"
	                         "IKE_SA_UNIQUE_ID=12\n"
	                         "IKE_SA_NAME=s2s\n");

	log_sub(LOG_SUB_KNL, LOG_DEBUG, "route added");
	log_sub(LOG_SUB_CFG, LOG_DEBUG, "filtered out");
	log_err("broken");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "MESSAGE=route added\nPRIORITY=7\nSYSLOG_IDENTIFIER=uipsecd\n"
	                         "GROUP=KNL\nLEVEL=2\n");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "MESSAGE=broken\nPRIORITY=3\nSYSLOG_IDENTIFIER=uipsecd\n"
	                         "GROUP=CHD\nLEVEL=0\n");
	close(fd);
}

static int dgram_listener(const char *name, struct sockaddr_un *sa)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path_of(name));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static const char *recv_line(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void match(const char *re_text, const char *s)
{
	regex_t re;

	assert_int_equal(regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, s, 0, NULL, 0) != 0)
		fail_msg("'%s' does not match '%s'", s, re_text);
	regfree(&re);
}

/* syslog's datagram as syslog(3) writes it: <PRI>time ident[pid]: line;
 * the priority from the severity, or map_level's mapping. */
static void test_syslog(void **state)
{
	struct log_config c = { .ident = "uipsecd", .syslog_ident = "vpn" };
	struct log_sink_cfg *a, *b;
	struct sockaddr_un sa;
	struct log_ctx ctx = { "site", 3 };
	char err[256], re[256];
	int fd;

	(void)state;
	fd = dgram_listener("syslog", &sa);
	a = log_config_add(&c, LOG_TARGET_SYSLOG);
	snprintf(a->path, sizeof(a->path), "%s", sa.sun_path);
	a->facility = log_syslog_facility("auth");
	b = log_config_add(&c, LOG_TARGET_SYSLOG);
	snprintf(b->path, sizeof(b->path), "%s", sa.sun_path);
	b->map_level = 5;
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		a->level[i] = b->level[i] = 2;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);

	log_write(LOG_SUB_IKE, LOG_INFO, &ctx, "IKE_SA established");
	snprintf(re, sizeof(re), "^<38>[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} "
	         "vpn\\[%d\\]: \\[IKE\\] <site\\|3> IKE_SA established$", (int)getpid());
	match(re, recv_line(fd));                       /* auth.info */
	match("^<30>.* vpn\\[[0-9]+\\]: \\[IKE\\] <site\\|3> IKE_SA established$",
	      recv_line(fd));                           /* daemon, 5 + level 1 */
	log_sub(LOG_SUB_KNL, LOG_ERR, "broken");
	match("^<35>.*: \\[KNL\\] broken$", recv_line(fd));   /* auth.err */
	match("^<29>.*: \\[KNL\\] broken$", recv_line(fd));   /* daemon, 5 + 0 */
	log_sub(LOG_SUB_KNL, LOG_DEBUG, "detail");
	match("^<39>.*: \\[KNL\\] detail$", recv_line(fd));   /* auth.debug */
	match("^<31>.*: \\[KNL\\] detail$", recv_line(fd));   /* daemon, 5 + 2 */
	close(fd);

	/* nobody listening: an error when configured, the old loggers stay */
	snprintf(a->path, sizeof(a->path), "%s/no-syslog", dir);
	c.nsinks = 1;
	assert_int_equal(log_configure(&c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no syslog at"));
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A reload (log_reconfigure) opens nothing: levels change, files are
 * kept by path (no truncation), new files and the first socket logger
 * are refused with the old configuration left in place. */
static void test_reconfigure(void **state)
{
	struct log_config c = { .ident = "t" };
	struct log_sink_cfg *s;
	char err[256];
	unsigned fds;

	(void)state;
	s = file_sink(&c, "r.log", 1);
	s->append = false;
	assert_int_equal(log_configure(&c, err, sizeof(err)), 0);
	log_info("before");
	log_debug("hidden");

	fds = open_fds();
	s->level[LOG_SUB_CHD] = 2;
	assert_int_equal(log_reconfigure(&c, err, sizeof(err)), 0);
	assert_int_equal(open_fds(), fds);
	log_debug("shown");
	assert_string_equal(slurp(path_of("r.log")), "t[info]: [CHD] before\nt[debug]: [CHD] shown\n");

	file_sink(&c, "new.log", 1);
	assert_int_equal(log_reconfigure(&c, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "new.log is new"));
	c.nsinks = 1;
	s = log_config_add(&c, LOG_TARGET_JOURNAL);
	snprintf(s->path, sizeof(s->path), "%s/x", dir);
	assert_int_equal(log_reconfigure(&c, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "opens no sockets"));
	assert_int_equal(open_fds(), fds);
	log_debug("still");
	assert_string_equal(slurp(path_of("r.log")),
	                    "t[info]: [CHD] before\nt[debug]: [CHD] shown\nt[debug]: [CHD] still\n");

	/* dropping the file logger closes it */
	c.nsinks = 0;
	log_config_add(&c, LOG_TARGET_STDERR);
	assert_int_equal(log_reconfigure(&c, err, sizeof(err)), 0);
	assert_int_equal(open_fds(), fds - 1);
}

static void test_set_level(void **state)
{
	(void)state;
	log_set_level(LOG_ERR);
	assert_int_equal(log_get_level(), LOG_ERR);
	assert_true(log_enabled(LOG_SUB_IKE, LOG_ERR));
	assert_false(log_enabled(LOG_SUB_IKE, LOG_WARN));
	log_set_level(LOG_DEBUG);
	assert_int_equal(log_get_level(), LOG_DEBUG);
	assert_true(log_enabled(LOG_SUB_ESP, LOG_DEBUG));
	log_set_level(LOG_INFO);
	assert_int_equal(log_get_level(), LOG_INFO);
	assert_false(log_enabled(LOG_SUB_ESP, LOG_DEBUG));
}

/* Threads log while the sinks change under them (ASan/TSan find misuse;
 * every line lands whole in one of the two files). */
static void *logger_thread(void *arg)
{
	for (int i = 0; i < 2000; i++)
		log_sub(LOG_SUB_ESP, LOG_INFO, "thread %d line %d", (int)(intptr_t)arg, i);
	return NULL;
}

static void test_threads(void **state)
{
	struct log_config c1 = { .ident = "t" }, c2 = { .ident = "t" };
	pthread_t th[4];
	char err[256], line[128];
	unsigned lines = 0;
	FILE *f;

	(void)state;
	file_sink(&c1, "h1.log", 1);
	file_sink(&c2, "h2.log", 1);
	assert_int_equal(log_configure(&c1, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, logger_thread, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(log_configure(i % 2 ? &c1 : &c2, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	log_set_level(LOG_INFO);   /* closes both files */
	for (int k = 0; k < 2; k++) {
		f = fopen(path_of(k ? "h2.log" : "h1.log"), "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			assert_non_null(strstr(line, "t[info]: [ESP] thread "));
			assert_true(line[strlen(line) - 1] == '\n');
			lines++;
		}
		fclose(f);
	}
	assert_int_equal(lines, 4 * 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_levels_per_sink),
		cmocka_unit_test(test_context_and_control_chars),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_failed_configure_keeps_old),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_set_level),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
