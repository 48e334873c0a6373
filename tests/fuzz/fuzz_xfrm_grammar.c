/* libFuzzer target: the ip xfrm grammar. The input is split into lines
 * and each line into words (as a state file is), and every line runs
 * through xfrm_cmd_run() against one scratch SAD and SPD, so sequences of
 * add/update/delete/list/flush are exercised together with the parser and
 * the printer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfrmcli/xfrm_cmd.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sad *sad;
	struct spd *spd;
	FILE *sink;
	char *text, *line, *save = NULL;

	if (size > 16384)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	sad = sad_new(NULL);
	spd = spd_new(NULL);
	sink = fopen("/dev/null", "w");
	if (!sad || !spd || !sink)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *argv[64];
		const char *why;
		int argc = xfrm_line_split(line, argv, 64, &why);

		if (argc > 0)
			xfrm_cmd_run(sad, spd, argc, argv, sink, sink);
	}
out:
	if (sink)
		fclose(sink);
	if (spd)
		spd_free(spd);
	if (sad)
		sad_free(sad);
	free(text);
	return 0;
}
