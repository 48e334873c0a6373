/* libFuzzer target: uipsecd.conf (conf_daemon_parse_buffer, includes
 * refused), then what the daemon does with an accepted file: every sink's
 * levels are in -1..4, file paths absolute, and the refusal text (if any)
 * is a NUL-terminated string that fits its buffer. Sinks are not opened
 * (that would write files). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/conf_daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_daemon d;
	char err[1024];

	memset(err, 'x', sizeof(err));
	if (conf_daemon_parse_buffer((const char *)data, size, "fuzz", &d, err, sizeof(err)) == 0) {
		if (d.log.nsinks > LOG_MAX_SINKS)
			__builtin_trap();
		for (unsigned i = 0; i < d.log.nsinks; i++) {
			const struct log_sink_cfg *s = &d.log.sink[i];

			for (int k = 0; k < LOG_SUB_COUNT; k++)
				if (s->level[k] < LOG_LEVEL_SILENT || s->level[k] > LOG_LEVEL_MAX)
					__builtin_trap();
			if (s->target == LOG_TARGET_FILE && s->path[0] != '/')
				__builtin_trap();
			if (memchr(s->path, '\0', sizeof(s->path)) == NULL ||
			    memchr(s->time_format, '\0', sizeof(s->time_format)) == NULL)
				__builtin_trap();
		}
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
