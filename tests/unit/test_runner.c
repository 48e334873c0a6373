/* The helper process (ctl/runner.h): the request decoder's refusals, the
 * spawner (stdin text, timeout: SIGTERM then SIGKILL to the group), and
 * the helper itself with a fake resolvconf: one queue in order, and the
 * DNS clean-up when the daemon's end closes, after the queued scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/runner.h"
#include "net/addr.h"

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static int dec(const void *m, size_t len, struct runner_req *q)
{
	return runner_decode(m, len, q);
}

static void test_decode(void **state)
{
	struct runner_req q;
	uint8_t m[RUNNER_MSG_MAX];
	struct ip_addr d[2] = { ip("10.2.0.53"), ip("2001:db8::53") };
	int n;

	(void)state;
	/* updown: command and environment */
	assert_int_equal(dec("Uecho hi\0A=1\0B=\0", 16, &q), 0);
	assert_int_equal(q.kind, RUNNER_UPDOWN);
	assert_string_equal(q.cmd, "echo hi");
	assert_int_equal(q.nenv, 2);
	assert_string_equal(q.env[0], "A=1");
	assert_string_equal(q.env[1], "B=");
	assert_null(q.env[2]);
	assert_int_equal(dec("Uecho hi\0", 9, &q), 0);
	assert_int_equal(q.nenv, 0);
	assert_int_equal(dec("", 0, &q), -EINVAL);
	assert_int_equal(dec("X", 1, &q), -EINVAL);
	assert_int_equal(dec("U\0", 2, &q), -EINVAL);                 /* empty command */
	assert_int_equal(dec("Uecho", 5, &q), -EINVAL);               /* no NUL */
	assert_int_equal(dec("Uecho\0A=1", 9, &q), -EINVAL);           /* env without NUL */
	assert_int_equal(dec("Uecho\0NOEQ\0", 11, &q), -EINVAL);      /* no '=' */
	assert_int_equal(dec("Uecho\0=x\0", 9, &q), -EINVAL);          /* no name */
	m[0] = 'U';
	memcpy(m + 1, "x", 2);
	size_t off = 3;
	for (unsigned i = 0; i < RUNNER_ENV_MAX + 1; i++) {
		memcpy(m + off, "A=1", 4);
		off += 4;
	}
	assert_int_equal(dec(m, off, &q), -E2BIG);
	assert_int_equal(dec(m, off - 4, &q), 0);
	assert_int_equal(q.nenv, RUNNER_ENV_MAX);

	/* DNS: encode, decode */
	n = runner_encode_dns(m, sizeof(m), "tun0.uipsec", d, 2);
	assert_int_equal(n, 1 + 12 + 1 + 34);
	assert_int_equal(dec(m, (size_t)n, &q), 0);
	assert_int_equal(q.kind, RUNNER_DNS);
	assert_string_equal(q.name, "tun0.uipsec");
	assert_int_equal(q.ndns, 2);
	assert_true(ip_addr_equal(&q.dns[0], &d[0]));
	assert_true(ip_addr_equal(&q.dns[1], &d[1]));
	assert_int_equal(dec(m, (size_t)n - 1, &q), -EINVAL);    /* cut */
	m[n] = 0;
	assert_int_equal(dec(m, (size_t)n + 1, &q), -EINVAL);    /* longer */
	m[13] = 3;
	assert_int_equal(dec(m, (size_t)n, &q), -EINVAL);        /* count */
	m[13] = RUNNER_DNS_MAX + 1;
	assert_int_equal(dec(m, (size_t)n, &q), -E2BIG);
	m[13] = 2;
	m[14] = 99;
	assert_int_equal(dec(m, (size_t)n, &q), -EINVAL);        /* family */
	n = runner_encode_dns(m, sizeof(m), "tun0", NULL, 0);
	assert_int_equal(n, 7);
	assert_int_equal(dec(m, (size_t)n, &q), 0);
	assert_int_equal(q.ndns, 0);
	assert_int_equal(dec("Dtun0\0", 6, &q), -EINVAL);         /* no count */
	assert_int_equal(dec("D\0\0", 3, &q), -EINVAL);           /* no name */
	assert_int_equal(dec("D-x\0\0", 5, &q), -EINVAL);         /* an option */
	assert_int_equal(dec("Da/b\0\0", 6, &q), -EINVAL);
	assert_int_equal(dec("Da b\0\0", 6, &q), -EINVAL);
	assert_int_equal(runner_encode_dns(m, sizeof(m), "-d", NULL, 0), -EINVAL);
	assert_int_equal(runner_encode_dns(m, 8, "tun0", d, 1), -ENOSPC);
}

/* The spawner: text on stdin; a timeout: SIGTERM; ignored: SIGKILL. */
static void test_spawn(void **state)
{
	char dir[] = "/tmp/test_runner.XXXXXX", out[600], cmd[700];
	char *const env[] = { "PATH=/usr/bin:/bin", NULL };
	char line[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/in", dir);
	snprintf(cmd, sizeof(cmd), "cat > %s; echo logged", out);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct runner_spawn s = { .path = "/bin/sh", .argv = argv, .envp = env,
		                  .in = "nameserver 10.2.0.53\n", .tag = "test", .what = "cat",
		                  .timeout_s = 5, .kill_s = 1 };
	int st = runner_spawn(&s);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "nameserver 10.2.0.53\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(out);
	rmdir(dir);

	char *argv2[] = { "/bin/sh", "-c", "exit 3", NULL };
	s = (struct runner_spawn){ .path = "/bin/sh", .argv = argv2, .envp = env, .tag = "test",
		                   .what = "exit", .timeout_s = 5, .kill_s = 1 };
	st = runner_spawn(&s);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);

	/* a child of the script keeps the output open: the group is stopped */
	char *argv3[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
	s.argv = argv3;
	s.timeout_s = 1;
	st = runner_spawn(&s);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	char *argv4[] = { "/bin/sh", "-c", "trap '' TERM; sleep 30", NULL };
	s.argv = argv4;
	st = runner_spawn(&s);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	char *argv5[] = { "/nonexistent", NULL };
	s.path = "/nonexistent";
	s.argv = argv5;
	st = runner_spawn(&s);
	/* posix_spawn reports it, or the child exits 127 */
	assert_true(st == -1 || (WIFEXITED(st) && WEXITSTATUS(st) == 127));
}

/* The helper with a fake resolvconf on PATH: an updown script, a DNS set,
 * another script; at the end the queued script runs, then "-d". */
static void test_helper(void **state)
{
	char dir[] = "/tmp/test_runner.XXXXXX", tool[600], log[600], path[1400], body[1400];
	char upd[800], want[1600], got[1600] = "";
	struct ip_addr d = ip("10.2.0.53");
	struct runner run;
	uint8_t m[128];
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(tool, sizeof(tool), "%s/resolvconf", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\n{ echo \"$*\"; sed 's/^/  /'; } >> %s\n", log);
	FILE *f = fopen(tool, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	chmod(tool, 0755);
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", dir);
	setenv("PATH", path, 1);
	assert_int_equal(runner_start(&run, NULL, 0), 0);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	assert_int_equal(run.tool, RUNNER_TOOL_RESOLVCONF);
	assert_string_equal(run.tool_path, tool);

	int ul = snprintf(upd, sizeof(upd), "Usleep 0.3; echo \"script $X\" >> %s", log);
	memcpy(upd + ul + 1, "X=1", 4);
	assert_int_equal(runner_send(&run, upd, (size_t)ul + 5), 0);
	int n = runner_encode_dns(m, sizeof(m), "tun0.uipsec", &d, 1);
	assert_true(n > 0);
	assert_int_equal(runner_send(&run, m, (size_t)n), 0);
	upd[ul + 3] = '2';
	assert_int_equal(runner_send(&run, upd, (size_t)ul + 5), 0);
	assert_int_equal(runner_send(&run, "junk", 4), 0);   /* refused there, logged */
	runner_stop(&run, 10000);
	assert_int_equal(run.fd, -1);
	assert_int_equal(runner_send(&run, m, (size_t)n), -ENOTCONN);

	f = fopen(log, "r");
	assert_non_null(f);
	size_t len = fread(got, 1, sizeof(got) - 1, f);
	got[len] = '\0';
	fclose(f);
	snprintf(want, sizeof(want),
	         "script 1\n-a tun0.uipsec\n  nameserver 10.2.0.53\nscript 2\n-d tun0.uipsec\n");
	assert_string_equal(got, want);
	unlink(log);
	unlink(tool);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
