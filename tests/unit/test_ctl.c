/* The control socket server: commands, unknown commands, events, bad
 * clients, a second server on the same path, a stale socket file. Client
 * and server share one thread: the client writes, the loop runs, then the
 * client reads what the server queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "io/loop.h"
#include "util/log.h"
#include "util/mem.h"

static char path[108];
static unsigned listeners_seen;

static void cmd_echo(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                     struct vici_buf *resp)
{
	char **argv;
	int n = vici_get_list(req->msg, req->msg_len, "argv", &argv, 8);

	vici_kv_str(resp, "success", n >= 0 ? "yes" : "no");
	if (n > 0) {
		vici_list_start(resp, "output");
		vici_list_item_str(resp, argv[0]);
		vici_list_end(resp);
		vici_list_free(argv);
	} else {
		vici_kv_str(resp, "errmsg", "Error: no words");
	}
}

static void on_listeners(void *ctx, const char *event, unsigned n)
{
	listeners_seen = n;
}

static void pump(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 10);
}

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/uipsec-test-ctl.%d/ctl.sock", (int)getpid());
	log_set_level(LOG_ERR);
	return 0;
}

static void test_commands_and_events(void **state)
{
	struct loop *l = loop_new();
	struct ctl_server *s;
	struct vici_buf b;
	struct vici_packet pk;
	uint8_t *buf;
	size_t len;
	char err[256], *words[] = { "hello", "x" };
	struct stat st;
	int fd, r;

	s = ctl_server_new(l, path, &r);
	assert_non_null(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ctl_server_add_cmd(s, "echo", cmd_echo, NULL), 0);
	assert_int_equal(ctl_server_add_event(s, "ev", on_listeners, NULL), 0);

	fd = ctl_client_connect(path, err, sizeof(err));
	assert_true(fd >= 0);
	pump(l);

	/* a command and its answer */
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, "echo");
	vici_list_start(&b, "argv");
	vici_list_item_str(&b, words[0]);
	vici_list_end(&b);
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(fd, &b), 0);
	pump(l);
	assert_int_equal(ctl_client_recv(fd, &buf, &len, &pk), 0);
	assert_int_equal(pk.type, VICI_CMD_RESPONSE);
	assert_int_equal(vici_get_str(pk.msg, pk.msg_len, "success", err, sizeof(err)), 0);
	assert_string_equal(err, "yes");
	mem_free_wipe(buf, len);

	/* an unknown command */
	vici_begin(&b, VICI_CMD_REQUEST, "nonesuch");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(fd, &b), 0);
	pump(l);
	assert_int_equal(ctl_client_recv(fd, &buf, &len, &pk), 0);
	assert_int_equal(pk.type, VICI_CMD_UNKNOWN);
	mem_free_wipe(buf, len);

	/* events: unknown, register, emitted, unregister */
	vici_begin(&b, VICI_EVENT_REGISTER, "nonesuch");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(fd, &b), 0);
	vici_begin(&b, VICI_EVENT_REGISTER, "ev");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(fd, &b), 0);
	pump(l);
	assert_int_equal(ctl_client_recv(fd, &buf, &len, &pk), 0);
	assert_int_equal(pk.type, VICI_EVENT_UNKNOWN);
	mem_free_wipe(buf, len);
	assert_int_equal(ctl_client_recv(fd, &buf, &len, &pk), 0);
	assert_int_equal(pk.type, VICI_EVENT_CONFIRM);
	mem_free_wipe(buf, len);
	assert_int_equal(listeners_seen, 1);
	assert_int_equal(ctl_server_listeners(s, "ev"), 1);
	vici_begin(&b, VICI_EVENT, "ev");
	vici_kv_str(&b, "output", "tick");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_server_emit(s, "ev", &b, NULL, NULL), 1);
	assert_int_equal(ctl_client_recv(fd, &buf, &len, &pk), 0);
	assert_int_equal(pk.type, VICI_EVENT);
	assert_string_equal(pk.name, "ev");
	mem_free_wipe(buf, len);

	vici_buf_free(&b);
	close(fd);
	pump(l);
	assert_int_equal(listeners_seen, 0);
	ctl_server_free(s);
	assert_int_not_equal(access(path, F_OK), 0);
	loop_free(l);
}

/* A client that sends garbage or announces an oversized packet is
 * dropped; the server keeps serving others. */
static void test_bad_clients(void **state)
{
	struct loop *l = loop_new();
	struct ctl_server *s;
	char err[256], c;
	int fd, fd2, r;
	static const uint8_t garbage[] = { 0, 0, 0, 3, 0, 5, 'a' };   /* name overruns */
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t response[] = { 0, 0, 0, 1, VICI_CMD_RESPONSE };

	s = ctl_server_new(l, path, &r);
	assert_non_null(s);
	assert_int_equal(ctl_server_add_cmd(s, "echo", cmd_echo, NULL), 0);

	const uint8_t *bad[] = { garbage, huge, response };
	size_t badlen[] = { sizeof(garbage), sizeof(huge), sizeof(response) };
	for (int i = 0; i < 3; i++) {
		fd = ctl_client_connect(path, err, sizeof(err));
		assert_true(fd >= 0);
		pump(l);
		assert_int_equal(send(fd, bad[i], badlen[i], 0), (ssize_t)badlen[i]);
		pump(l);
		assert_int_equal(recv(fd, &c, 1, 0), 0);   /* closed by the server */
		close(fd);
	}
	/* still serving */
	fd2 = ctl_client_connect(path, err, sizeof(err));
	assert_true(fd2 >= 0);
	{
		struct vici_buf b;
		struct vici_packet pk;
		uint8_t *buf;
		size_t len;

		vici_buf_init(&b);
		vici_begin(&b, VICI_CMD_REQUEST, "echo");
		assert_int_equal(vici_end(&b), 0);
		assert_int_equal(ctl_client_send(fd2, &b), 0);
		pump(l);
		assert_int_equal(ctl_client_recv(fd2, &buf, &len, &pk), 0);
		assert_int_equal(pk.type, VICI_CMD_RESPONSE);
		assert_int_equal(vici_get_str(pk.msg, pk.msg_len, "errmsg", err, sizeof(err)), 0);
		assert_string_equal(err, "Error: no words");
		mem_free_wipe(buf, len);
		vici_buf_free(&b);
	}
	close(fd2);
	ctl_server_free(s);
	loop_free(l);
}

/* One daemon per socket: a second server is refused while the first
 * answers; a stale socket file (nobody answers) is replaced. */
static void test_second_server_and_stale(void **state)
{
	struct loop *l = loop_new();
	struct ctl_server *s, *s2;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int r, fd;

	s = ctl_server_new(l, path, &r);
	assert_non_null(s);
	s2 = ctl_server_new(l, path, &r);
	assert_null(s2);
	assert_int_equal(r, -EADDRINUSE);
	ctl_server_free(s);

	/* leave a socket file nobody listens on */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(access(path, F_OK), 0);
	s = ctl_server_new(l, path, &r);
	assert_non_null(s);
	ctl_server_free(s);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands_and_events),
		cmocka_unit_test(test_bad_clients),
		cmocka_unit_test(test_second_server_and_stale),
	};
	int r = cmocka_run_group_tests(tests, setup, NULL);
	char dir[128];

	snprintf(dir, sizeof(dir), "/tmp/uipsec-test-ctl.%d", (int)getpid());
	rmdir(dir);
	return r;
}
