/* Test helper: run one 'ip xfrm' command line (the words after "ip xfrm",
 * e.g. "state add src ...") against a SAD and SPD, as uipsecd's control
 * socket would; the test fails if the line does not split or the command
 * fails. Header-only so that each test binary stays one file; include it
 * after <cmocka.h>. */
#ifndef UIPSEC_TESTS_XFRM_RUN_H
#define UIPSEC_TESTS_XFRM_RUN_H

#include <stdio.h>

#include "xfrmcli/xfrm_cmd.h"

static inline void xfrm_run_line(struct sad *sad, struct spd *spd, const char *cmdline)
{
	char line[1024], *argv[64];
	const char *why = NULL;
	FILE *out;
	int argc, r;

	snprintf(line, sizeof(line), "%s", cmdline);
	argc = xfrm_line_split(line, argv, 64, &why);
	if (argc <= 0)
		fail_msg("cannot split '%s': %s", cmdline, why ? why : "no words");
	out = fopen("/dev/null", "w");
	assert_non_null(out);
	r = xfrm_cmd_run(sad, spd, argc, argv, out, stderr);
	fclose(out);
	if (r != 0)
		fail_msg("command failed: %s", cmdline);
}

#endif
