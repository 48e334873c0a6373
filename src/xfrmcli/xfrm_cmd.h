/* `ip xfrm state|policy ...` commands against a SAD and an SPD: the one
 * entry point that both the offline tool (uipsec -f FILE xfrm ...) and the
 * daemon's control socket call, plus state files (lines of such commands).
 *
 * No globals, no exit(): output goes to out, errors as one line to err.
 * Runs on the caller's thread; the daemon calls it on its control loop,
 * the only thread that changes the SAD and SPD. */
#ifndef UIPSEC_XFRMCLI_XFRM_CMD_H
#define UIPSEC_XFRMCLI_XFRM_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct sad;
struct spd;
struct sad_sa;
struct spd_policy;
struct xfrm_state_req;
struct xfrm_policy_req;

/* Run one command. argv starts at "state" / "policy" (the word after
 * "xfrm"); "-s" (statistics, like ip -s) may appear anywhere. Verbs:
 *   state  add|update|get|delete|deleteall|list|flush|count|help
 *   policy add|update|get|delete|deleteall|list|flush|count|help
 * Returns 0, or a negative errno (-EINVAL bad words, -ENOENT no such
 * object, -EEXIST already there, -ENOMEM) after printing one line
 * "Error: ..." to err. On error the SAD and SPD are unchanged. */
int xfrm_cmd_run(struct sad *sad, struct spd *spd, int argc, char **argv,
                 FILE *out, FILE *err);

/* True if the command would change the SAD or SPD (add, update, delete,
 * deleteall, flush); false for list/get/count/help and for nonsense. */
bool xfrm_cmd_modifies(int argc, char **argv);

/* The grammar, iproute2-style. obj: "state", "policy" or NULL for both. */
void xfrm_cmd_usage(FILE *out, const char *obj);

/* Split a line into words in place: blanks separate, '...' and "..."
 * quote (the quotes are removed), '#' at the start of a word ends the
 * line. Returns the number of words (at most max), or -1 with *why set
 * (unterminated quote, too many words). */
int xfrm_line_split(char *line, char **argv, int max, const char **why);

/* Load a state file: lines of "[ip] [xfrm] state|policy add|update|
 * delete|flush ...", blank lines and # comments. Stops at the first bad
 * line and reports "FILE:LINE: ..." on err. A missing file is an empty
 * one when missing_ok. Returns 0 or a negative errno. */
int xfrm_state_file_load(struct sad *sad, struct spd *spd, const char *path,
                         bool missing_ok, FILE *err);

/* Rewrite a state file from the SAD and SPD (keys included; the file is
 * created 0600, or keeps its mode, and replaced atomically). Returns 0 or
 * a negative errno after reporting on err. */
int xfrm_state_file_save(struct sad *sad, struct spd *spd, const char *path, FILE *err);

/* The list filters of `state list WORDS` / `policy list WORDS` (f from
 * xfrm_parse_state/xfrm_parse_policy in XG_FILTER mode), for printers
 * other than ip's (uipsec --json). */
bool xfrm_cmd_state_match(const struct xfrm_state_req *f, const struct sad_sa *sa);
bool xfrm_cmd_policy_match(const struct xfrm_policy_req *f, const struct spd_policy *p);

#endif
