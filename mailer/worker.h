/*
 * worker.h - parse, split and classify in a child process: what
 * bulletin-fetch (pipeline_proc.c) and bulletin-work (main_work.c) say
 * to each other over two pipes.
 *
 * The split keeps the process that talks to the IMAP server (libetpan,
 * GnuTLS, the password) apart from the one that reads strangers' MIME
 * and HTML (GMime, libxml2, Vectorscan), and each of them small.
 *
 * To the child, per message: u32 length, then the raw bytes; or
 * WIRE_FLUSH alone, when the parent waits for a result it has not got:
 * the child then sends its oldest (waiting for it), and as always any
 * other that is done, before it reads on.  End of input ends it.  From the child: one header frame, then one result
 * frame per message, in the order they came.  A frame is a u32 payload
 * length, then the payload:
 *
 *	header  u32 depth, u32 bytes: the child's pipeline_budget(), which
 *		the parent keeps to as well (so that when it waits for a
 *		result, the child has every job in flight and is not
 *		waiting for more); u32 n, n strings: the rule files'
 *		category ids, in order
 *	result  i32 rc, str err, u8 has_msg,
 *		[has_msg: str envelope_id, subject, from_name, from_addr,
 *		 problem; i64 date], u32 n_items, per item: str title, url,
 *		text, source; i64 date; u32 words, n_labels, per label:
 *		u32 category index, i32 score
 *
 * A string is a u32 length (WIRE_NULL for NULL), then its bytes.  Both
 * ends are built together and run on one machine: integers go in host
 * order.  The reader checks every length anyway.
 */
#ifndef BULLETIN_WORKER_H
#define BULLETIN_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "util.h"

#define WIRE_NULL 0xffffffffu
#define WIRE_FLUSH 0xfffffffeu
/* No frame is longer: a bigger length means a broken peer. */
#define WIRE_MAX_FRAME (1u << 30)

/* Appends a whole frame (length included) to b. */
void wire_put_header(struct buf *b, size_t depth, size_t bytes,
    const char *const *ids, size_t n);
/* Label ids not among ids[0..n) are left out. */
void wire_put_result(struct buf *b, const struct job *j,
    const char *const *ids, size_t n);

/*
 * Decode one frame's payload (p[0..len), the length already taken off).
 * wire_get_header sets the budget and *ids_r (n_r strings, each and the array to free).
 * wire_get_result fills j->rc, j->err and j->p (label ids point into
 * ids[0..n)).  Both return 0, or -1 on a malformed frame (nothing to
 * free then).
 */
int wire_get_header(const char *p, size_t len, size_t *depth_r,
    size_t *bytes_r, char ***ids_r, size_t *n_r);
int wire_get_result(const char *p, size_t len, const char *const *ids,
    size_t n, struct job *j);

/*
 * The parent's side is pipeline.h itself, as pipeline_proc.c implements
 * it: pipeline_new() starts argv[0] with argv (NULL-terminated, kept by
 * reference) as set here; it dies with its parent.
 */
void pipeline_proc_command(char *const *argv);

#endif
