/* PPPIOCGCHAN and session teardowns off the event loop: a small thread pool. See
 * kppp_bind.h. */
#include "l2tpd/kppp_bind.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/ppp-ioctl.h>

#define KPPP_BIND_STACK (256 * 1024)   /* the threads only make one system call */

/* TODO: queued; RUNNING: a thread (or kppp_binder_wait/flush) has it; DONE: on the done
 * list; COLLECTING: taken by kppp_binder_collect, which closes it if cancelled meanwhile;
 * FINISHED: run by kppp_binder_wait itself, on no list. */
enum req_where { REQ_TODO, REQ_RUNNING, REQ_DONE, REQ_COLLECTING, REQ_FINISHED };

struct kppp_bind_req {
	struct kppp_bind_req *next;
	int fd;
	int result;
	void *cookie;
	enum req_where where;
	bool cancelled;
	bool waited;                    /* kppp_binder_wait took the result: not reported */
	bool is_close;                  /* a teardown of k (kppp_binder_submit_close) */
	struct kppp_session k;
};

/* A FIFO of requests. */
struct req_list {
	struct kppp_bind_req *head, **tail;
};

struct kppp_binder {
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t finished;        /* a request left RUNNING */
	struct req_list todo, done;
	kppp_bind_op op;
	kppp_close_op close_op;
	int event_fd;
	bool stopping;
	unsigned int max_threads, n_threads, n_idle, n_running;
	pthread_t threads[KPPP_BIND_THREADS];
};

int kppp_bind_op_gchan(int fd)
{
	int chindex;

	return ioctl(fd, PPPIOCGCHAN, &chindex) < 0 ? -errno : chindex;
}

static void list_init(struct req_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void list_push(struct req_list *l, struct kppp_bind_req *r)
{
	r->next = NULL;
	*l->tail = r;
	l->tail = &r->next;
}

static struct kppp_bind_req *list_pop(struct req_list *l)
{
	struct kppp_bind_req *r = l->head;

	if (r) {
		l->head = r->next;
		if (!l->head)
			l->tail = &l->head;
	}
	return r;
}

static void list_remove(struct req_list *l, struct kppp_bind_req *r)
{
	struct kppp_bind_req **pp;

	for (pp = &l->head; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			if (!*pp)
				l->tail = pp;
			return;
		}
}

/* Run r, which the caller took off the todo list; called and returns under mu. */
static void run_req(struct kppp_binder *b, struct kppp_bind_req *r)
{
	r->where = REQ_RUNNING;
	b->n_running++;
	pthread_mutex_unlock(&b->mu);
	if (r->is_close) {
		b->close_op(&r->k);   /* owns the descriptors: closes them in order */
		r->result = 0;
	} else {
		r->result = b->op(r->fd);   /* cancel() leaves a running request's fd open */
	}
	pthread_mutex_lock(&b->mu);
	b->n_running--;
	pthread_cond_broadcast(&b->finished);
}

/* r has run: onto the done list, the loop woken. Under mu. */
static void report_req(struct kppp_binder *b, struct kppp_bind_req *r)
{
	const uint64_t one = 1;

	r->where = REQ_DONE;
	list_push(&b->done, r);
	/* a full eventfd counter (2^64 - 2) cannot happen: collect() resets it */
	if (write(b->event_fd, &one, sizeof one) < 0) {
		/* nothing to do: the counter is already non-zero, the loop will wake */
	}
}

static void *worker(void *arg)
{
	struct kppp_binder *b = arg;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct kppp_bind_req *r;

		while (!b->stopping && !b->todo.head) {
			b->n_idle++;
			pthread_cond_wait(&b->work, &b->mu);
			b->n_idle--;
		}
		if (b->stopping)
			break;
		r = list_pop(&b->todo);
		run_req(b, r);
		report_req(b, r);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct kppp_binder *kppp_binder_new(unsigned int nthreads, kppp_bind_op op)
{
	struct kppp_binder *b;

	if (!nthreads || nthreads > KPPP_BIND_THREADS || !op) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->event_fd < 0) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->finished, NULL);
	list_init(&b->todo);
	list_init(&b->done);
	b->op = op;
	b->close_op = kppp_session_close;
	b->max_threads = nthreads;
	return b;
}

int kppp_binder_event_fd(const struct kppp_binder *b)
{
	return b->event_fd;
}

/* One more thread, with every signal blocked: signals are the event loop's. Under mu. */
static int start_thread(struct kppp_binder *b)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	if (pthread_attr_init(&attr))
		return -ENOMEM;
	pthread_attr_setstacksize(&attr, KPPP_BIND_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&b->threads[b->n_threads], &attr, worker, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	b->n_threads++;
	return 0;
}

/* Queue r (filled in by the caller), starting a thread if none is idle. r or NULL. */
static struct kppp_bind_req *submit(struct kppp_binder *b, struct kppp_bind_req *r)
{
	int err = 0;

	r->where = REQ_TODO;
	pthread_mutex_lock(&b->mu);
	if (b->n_idle == 0 && b->n_threads < b->max_threads)
		err = start_thread(b);
	if (err && b->n_threads == 0) {
		pthread_mutex_unlock(&b->mu);
		free(r);
		errno = EAGAIN;
		return NULL;
	}
	list_push(&b->todo, r);
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->mu);
	return r;
}

struct kppp_bind_req *kppp_binder_submit(struct kppp_binder *b, int fd, void *cookie)
{
	struct kppp_bind_req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->fd = fd;
	r->cookie = cookie;
	return submit(b, r);
}

struct kppp_bind_req *kppp_binder_submit_close(struct kppp_binder *b,
					       const struct kppp_session *k, void *cookie)
{
	struct kppp_bind_req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->fd = -1;
	r->is_close = true;
	r->k = *k;
	r->cookie = cookie;
	return submit(b, r);
}

void kppp_binder_set_close_op(struct kppp_binder *b, kppp_close_op op)
{
	b->close_op = op ? op : kppp_session_close;
}

int kppp_binder_wait(struct kppp_binder *b, struct kppp_bind_req *r)
{
	bool collector_frees;
	int result;

	pthread_mutex_lock(&b->mu);
	if (r->where == REQ_TODO) {
		list_remove(&b->todo, r);
		run_req(b, r);
		r->where = REQ_FINISHED;
	}
	while (r->where == REQ_RUNNING)
		pthread_cond_wait(&b->finished, &b->mu);
	if (r->where == REQ_DONE)
		list_remove(&b->done, r);
	result = r->result;
	/* COLLECTING: collect() has it in its batch (a report waited for a later request):
	 * it skips and frees it */
	collector_frees = r->where == REQ_COLLECTING;
	r->waited = true;
	pthread_mutex_unlock(&b->mu);
	if (!collector_frees)
		free(r);
	return result;
}

unsigned int kppp_binder_flush(struct kppp_binder *b, kppp_bind_done done, void *arg)
{
	struct kppp_bind_req *r;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		r = list_pop(&b->todo);
		if (r) {
			run_req(b, r);
			report_req(b, r);
		} else if (b->n_running) {
			pthread_cond_wait(&b->finished, &b->mu);
		} else {
			break;
		}
	}
	pthread_mutex_unlock(&b->mu);
	return kppp_binder_collect(b, done, arg);
}

void kppp_binder_cancel(struct kppp_binder *b, struct kppp_bind_req *r)
{
	bool close_now = false;

	pthread_mutex_lock(&b->mu);
	r->cancelled = true;
	if (r->where == REQ_TODO) {
		list_remove(&b->todo, r);
		close_now = true;
	} else if (r->where == REQ_DONE) {
		list_remove(&b->done, r);
		close_now = true;
	}
	/* RUNNING, COLLECTING: collect() closes and frees it when it comes to it */
	pthread_mutex_unlock(&b->mu);
	if (close_now) {
		close(r->fd);
		free(r);
	}
}

unsigned int kppp_binder_collect(struct kppp_binder *b, kppp_bind_done done, void *arg)
{
	struct req_list got;
	struct kppp_bind_req *r;
	uint64_t count;
	unsigned int n = 0;

	if (read(b->event_fd, &count, sizeof count) < 0) {
		/* EAGAIN: nothing signalled; finished requests may still be listed (a cancel
		 * raced the wake-up), so look anyway */
	}
	pthread_mutex_lock(&b->mu);
	got = b->done;
	if (!got.head)
		got.tail = &got.head;
	list_init(&b->done);
	/* done() may cancel a later request of this batch: cancel() must leave it to us */
	for (r = got.head; r; r = r->next)
		r->where = REQ_COLLECTING;
	pthread_mutex_unlock(&b->mu);
	while ((r = list_pop(&got))) {
		bool waited;

		pthread_mutex_lock(&b->mu);   /* a report may have waited for r meanwhile */
		waited = r->waited;
		pthread_mutex_unlock(&b->mu);
		if (r->cancelled) {
			close(r->fd);
		} else if (!waited) {
			done(arg, r->cookie, r->result);
			n++;
		}
		free(r);
	}
	return n;
}

static void free_list(struct req_list *l, bool close_cancelled)
{
	struct kppp_bind_req *r;

	while ((r = list_pop(l))) {
		if (close_cancelled && r->cancelled)
			close(r->fd);
		free(r);
	}
}

void kppp_binder_free(struct kppp_binder *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
	for (unsigned int i = 0; i < b->n_threads; i++)
		pthread_join(b->threads[i], NULL);
	free_list(&b->todo, false);   /* never cancelled: cancel() removes those at once */
	free_list(&b->done, true);
	close(b->event_fd);
	pthread_cond_destroy(&b->finished);
	pthread_cond_destroy(&b->work);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
