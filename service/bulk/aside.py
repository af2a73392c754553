"""Work done aside: a generator run in a second (forked) process while this one goes on with
its items.

An import from the command line reads and checks its rows here (parsing, the schema's
load) while the importing process writes the batches before: two processes use two cores,
where two threads would share the interpreter's lock (the writer, woken by its database,
would wait for the reader's turn to end dozens of times a batch).

The child only computes: it must not use the parent's database connections, which it
inherits with the fork. It ends as multiprocessing's children do (os._exit), so it closes
none of them. At most `ahead` items wait in the queue, so memory stays flat however far the
child could run ahead.
"""

import multiprocessing
import pickle
import queue
import traceback

AHEAD = 3
# How long the parent waits for an item before it looks whether the child is still there.
POLL_SECONDS = 1.0


class AsideFailed(RuntimeError):
    """The process working aside ended without handing over its items or its error."""


def available():
    """Whether this platform can fork (Linux, the BSDs, macOS; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def items(make, ahead=AHEAD):
    """The items of the generator `make()` run in a forked child, in order. An exception the
    generator raises is raised here (the same class and attributes). Closing this generator
    early (the parent failed, or stopped) ends the child."""
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=ahead)
    child = context.Process(
        target=_produce, args=(make, channel), name="evidence-aside", daemon=True
    )
    child.start()
    try:
        while True:
            kind, payload = _next(channel, child)
            if kind == "item":
                yield payload
            elif kind == "end":
                return
            else:
                raise _restored(payload)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.cancel_join_thread()
        channel.close()


def _next(channel, child):
    while True:
        try:
            return channel.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if child.is_alive():
                continue
        try:  # (it may have put its last item just before it ended)
            return channel.get(timeout=POLL_SECONDS)
        except queue.Empty:
            raise AsideFailed(
                f"the process working aside ended (exit code {child.exitcode}) without "
                "handing over the rest of its work"
            ) from None


def _produce(make, channel):
    """In the child: every item of `make()`, then the end (or the error)."""
    try:
        for item in make():
            channel.put(("item", item))
        channel.put(("end", None))
    except BaseException as exc:  # noqa: BLE001 (handed to the parent, which raises it)
        channel.put(("error", _portable(exc)))
    channel.close()
    channel.join_thread()


def _portable(exc):
    """`exc` as the parent can rebuild it: its class, args and attributes, or, when those
    cannot be pickled, an AsideFailed carrying its traceback."""
    state = (type(exc), exc.args, dict(vars(exc)))
    try:
        pickle.dumps(state)
    except Exception:  # noqa: BLE001
        text = "".join(traceback.format_exception(exc))
        return (AsideFailed, (f"the process working aside failed:\n{text}",), {})
    return state


def _restored(state):
    cls, args, attributes = state
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attributes)
    return exc
