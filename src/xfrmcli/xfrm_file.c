/* State files: `ip xfrm state add ...` / `ip xfrm policy add ...` lines
 * (with or without "ip" and "xfrm", # comments) loaded into a SAD and SPD
 * through xfrm_cmd_run(), and written back from them. The files hold keys:
 * lines are wiped after use and new files are created 0600. */
#include "xfrmcli/xfrm_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xfrmcli/xfrm_grammar.h"
#include "util/mem.h"

#define MAX_WORDS 256

static bool file_verb_ok(const char *verb)
{
	return !strcmp(verb, "add") || !strcmp(verb, "update") || !strcmp(verb, "delete") ||
	       !strcmp(verb, "del") || !strcmp(verb, "deleteall") || !strcmp(verb, "flush");
}

int xfrm_state_file_load(struct sad *sad, struct spd *spd, const char *path,
                         bool missing_ok, FILE *err)
{
	char *line = NULL, *argv[MAX_WORDS];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t len;
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errno == ENOENT && missing_ok)
			return 0;
		rc = -errno;
		fprintf(err, "Error: cannot open state file '%s': %s\n", path, strerror(errno));
		return rc;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *why = NULL;
		char *msg = NULL;
		size_t msglen = 0;
		FILE *mem;
		int argc, i = 0;

		lineno++;
		argc = xfrm_line_split(line, argv, MAX_WORDS, &why);
		if (argc < 0) {
			fprintf(err, "Error: %s:%u: %s\n", path, lineno, why);
			rc = -EINVAL;
			break;
		}
		if (argc == 0)
			continue;
		if (i < argc && !strcmp(argv[i], "ip"))
			i++;
		while (i < argc && argv[i][0] == '-')   /* ip -4 / -s: nothing to do here */
			i++;
		if (i < argc && !strcmp(argv[i], "xfrm"))
			i++;
		if (i + 1 >= argc || (strcmp(argv[i], "state") && strcmp(argv[i], "policy")) ||
		    !file_verb_ok(argv[i + 1])) {
			fprintf(err, "Error: %s:%u: expected 'ip xfrm state|policy add|update|delete|"
			        "flush ...', got '%s'\n", path, lineno, argv[i < argc ? i : 0]);
			rc = -EINVAL;
			break;
		}
		/* Collect the message to prefix it with the file and line. */
		mem = open_memstream(&msg, &msglen);
		if (!mem) {
			rc = -ENOMEM;
			fprintf(err, "Error: out of memory\n");
			break;
		}
		rc = xfrm_cmd_run(sad, spd, argc - i, argv + i, mem, mem);
		fclose(mem);
		if (rc) {
			const char *m = msg ? msg : "";

			if (!strncmp(m, "Error: ", 7))
				m += 7;
			fprintf(err, "Error: %s:%u: %s%s", path, lineno, m,
			        m[0] && m[strlen(m) - 1] == '\n' ? "" : "\n");
		}
		free(msg);
		mem_wipe(line, (size_t)len);
		if (rc)
			break;
	}
	if (line) {
		mem_wipe(line, cap);
		free(line);
	}
	fclose(f);
	return rc;
}

static int save_state_cb(struct sad_sa *sa, void *arg)
{
	if (sa->state != SAD_STATE_DEAD)
		xfrm_write_state_cmd(arg, sa);
	return 0;
}

static int save_policy_cb(struct spd_policy *p, void *arg)
{
	xfrm_write_policy_cmd(arg, p);
	return 0;
}

int xfrm_state_file_save(struct sad *sad, struct spd *spd, const char *path, FILE *err)
{
	struct stat st;
	mode_t mode = 0600;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd, rc = 0;
	FILE *f;

	if (!tmp) {
		fprintf(err, "Error: out of memory\n");
		return -ENOMEM;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 0777;
	snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		fprintf(err, "Error: cannot write next to '%s': %s\n", path, strerror(errno));
		free(tmp);
		return rc;
	}
	fchmod(fd, mode);
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	fputs("# uipsec state file: ip xfrm commands, one per line (rewritten by uipsec -f)\n", f);
	sad_walk(sad, save_state_cb, f);
	spd_walk(spd, save_policy_cb, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	if (rc)
		goto fail;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	fprintf(err, "Error: cannot write state file '%s': %s\n", path, strerror(-rc));
	unlink(tmp);
	free(tmp);
	return rc;
}
