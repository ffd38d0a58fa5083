/*
 * ports_judge.h - the policy of `mailvet ports`: which open ports are
 * expected (--expect), and the verdict for each port, as checks in the
 * report (docs/mailvet-ports.md).  Also the pure parsers for --expect
 * and --ports lists.  No I/O.  Errors: -1 with struct mv_error
 * (category usage) saying what is wrong with the list.
 */
#ifndef MAILVET_CHECK_PORTS_JUDGE_H
#define MAILVET_CHECK_PORTS_JUDGE_H

#include "core/error.h"
#include "report/ports_report.h"
#include "report/report.h"

#include <stdint.h>

#define PORTS_EXPECT_MAX 256

struct ports_expect {
	uint16_t port;
	enum ports_service service;   /* NONE: whatever answers */
	int tls;                      /* -1 either, 0 plaintext, 1 implicit */
	char name[24];                /* as written, for messages */
};

struct ports_expect_list {
	struct ports_expect v[PORTS_EXPECT_MAX];
	size_t n;
};

/* The default port list of the sweep. */
extern const uint16_t ports_default_list[];
extern const size_t ports_default_count;

/*
 * Add a comma-separated list of ports and ranges ("2525,2587,10000-10010")
 * to ports (capacity max, *n in use), skipping duplicates.  Ranges are
 * bounded by max.  Returns 0 or -1 with err.
 */
int ports_list_parse(const char *text, uint16_t *ports, size_t max,
    size_t *n, struct mv_error *err);
/*
 * Add "smtp,imaps,2525,imap:2443" to l: NAME is the service on its
 * usual port, PORT is whatever answers there, NAME:PORT the service on
 * that port.  Names: smtp submission smtps submissions lmtp pop3 pop3s
 * imap imaps sieve http https redis.  Returns 0 or -1 with err.
 */
int ports_expect_parse(const char *text, struct ports_expect_list *l,
    struct mv_error *err);
/* The expectation when --expect is not given: the mail services on
 * their standard ports. */
void ports_expect_default(struct ports_expect_list *l);

/* Judge every entry (verdict, judgement, expected) and add the checks:
 * "ports" first (the summary), then one "port N" per open port and per
 * expected port that is not open. */
void ports_judge(struct report *rep, struct ports_report *r,
    const struct ports_expect_list *l);

#endif
