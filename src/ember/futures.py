"""`ember.futures`: a value that will be ready later (as `torch.futures`).

A `Future` is completed once, by `set_result` (or `set_exception`); `then` chains a callback
that runs on the completed future and whose return value completes a new future:

    fut = ember.futures.Future()
    doubled = fut.then(lambda f: f.value() * 2)
    fut.set_result(21)
    doubled.wait()                      # 42

ember has no background threads: a future handed out by an asynchronous collective
(`dist.all_reduce(t, async_op=True).get_future()`) completes when something waits on it
(`wait()`, `value()`, or the `wait()` of a future chained to it with `then`).
"""
from typing import Generic, TypeVar

__all__ = ["Future", "collect_all", "wait_all"]

T = TypeVar("T")


class Future(Generic[T]):
    """A result that arrives later; `wait()` returns it, `then(cb)` chains work on it.

    >>> fut = Future()
    >>> fut.set_result(3)
    >>> fut.then(lambda f: f.value() + 1).wait()
    4
    """

    def __init__(self, *, devices=None):
        self._done = False
        self._value = None
        self._exception = None
        self._callbacks = []
        # how to bring this future to completion when it is waited on (for example: wait
        # for the MPI request behind it); None for futures completed by set_result alone
        self._waiter = None

    def done(self):
        """True once the future holds a value (or an exception)."""
        return self._done

    def _complete_now(self):
        if not self._done and self._waiter is not None:
            waiter, self._waiter = self._waiter, None
            waiter()

    def wait(self):
        """Block until the future is completed and return its value (raise its exception)."""
        self._complete_now()
        if not self._done:
            # nothing in this process can complete it: waiting would hang forever
            raise RuntimeError("Future.wait() on a future that nothing will complete: call "
                               "set_result() first")
        if self._exception is not None:
            raise self._exception
        return self._value

    def value(self):
        """The value of a completed future (raises its exception if it failed)."""
        self._complete_now()
        if not self._done:
            raise RuntimeError("Future.value() called before the future was completed: call "
                               "wait() first")
        if self._exception is not None:
            raise self._exception
        return self._value

    def _mark(self):
        if self._done:
            raise RuntimeError("Attempting to mark a completed Future as complete again. Note "
                               "that a Future can only be marked completed once.")
        self._done = True

    def set_result(self, result):
        """Complete the future with `result` and run the callbacks waiting on it."""
        self._mark()
        self._value = result
        self._run_callbacks()

    def set_exception(self, result):
        """Complete the future with an exception, raised by later `wait()`/`value()` calls."""
        if not isinstance(result, BaseException):
            raise TypeError(f"{type(result)} is not an exception")
        self._mark()
        self._exception = result
        self._run_callbacks()

    def _run_callbacks(self):
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def add_done_callback(self, callback):
        """Run `callback(self)` when the future completes (now, if it already has)."""
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def then(self, callback):
        """A new future completed with `callback(self)` once this one completes.

        >>> f = Future(); g = f.then(lambda fut: fut.value() * 2); f.set_result(5); g.wait()
        10
        """
        child = Future()

        def run(parent):
            try:
                result = callback(parent)
            except Exception as error:      # the chained future carries the failure
                child.set_exception(RuntimeError(
                    "Got the following error when running the callback: "
                    f"{type(error).__name__}: {error}"))
            else:
                child.set_result(result)

        if not self._done:
            child._waiter = self._complete_now
        self.add_done_callback(run)
        return child

    def __repr__(self):
        return f"<ember.futures.Future object at {id(self):#x}>"


def collect_all(futures):
    """One future completed, with the list of `futures`, once all of them have completed.

    >>> a, b = Future(), Future(); a.set_result(1); b.set_result(2)
    >>> [f.value() for f in collect_all([a, b]).wait()]
    [1, 2]
    """
    futures = list(futures)
    combined = Future()
    pending = [len(futures)]

    def one_done(_):
        pending[0] -= 1
        if pending[0] == 0:
            combined.set_result(futures)

    if not futures:
        combined.set_result(futures)
    for fut in futures:
        fut.add_done_callback(one_done)
    if not combined.done():
        combined._waiter = lambda: [fut._complete_now() for fut in futures]
    return combined


def wait_all(futures):
    """Wait for every future; their values, in order.

    >>> a = Future(); a.set_result(1); wait_all([a])
    [1]
    """
    return [fut.wait() for fut in futures]
