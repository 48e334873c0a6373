/* Names of xfrm_stat counters and drop reasons. */
#include "xfrm/drop.h"
#include "xfrm/xfrm.h"

static const char *const mib_names[XFRM_MIB_MAX] = {
#define X(id, name) [XFRM_MIB_##id] = name,
	XFRM_MIB_LIST(X)
#undef X
};

const char *xfrm_mib_name(enum xfrm_mib mib)
{
	return (unsigned)mib < XFRM_MIB_MAX ? mib_names[mib] : NULL;
}

static const struct {
	const char *name;
	enum xfrm_mib mib;
} drops[DROP_MAX] = {
#define X(id, n, m) [DROP_##id] = { n, m },
	DROP_REASON_LIST(X)
#undef X
};

const char *drop_reason_name(enum drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drops[r].name : "?";
}

enum xfrm_mib drop_reason_mib(enum drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drops[r].mib : XFRM_MIB_MAX;
}
