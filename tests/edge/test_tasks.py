"""BackgroundTasks: the one background-task idiom (kept, failures logged, cancelled)."""

from __future__ import annotations

import asyncio
import contextvars
import logging

import pytest

from ezlock_edge.tasks import BackgroundTasks


async def test_a_failing_task_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(logging.getLogger("ezlock_edge.test"))

    async def fail() -> None:
        raise RuntimeError("boom")

    task = tasks.spawn(fail(), name="failing work")
    await asyncio.gather(task, return_exceptions=True)
    await tasks.wait()
    [record] = [r for r in caplog.records if r.name == "ezlock_edge.test"]
    assert record.levelno == logging.ERROR
    assert "failing work" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


async def test_cancel_ends_every_task_and_a_cancelled_one_is_not_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(logging.getLogger("ezlock_edge.test"))
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = tasks.spawn(forever())
    await started.wait()
    await tasks.cancel()
    assert task.cancelled()
    assert not [r for r in caplog.records if r.name == "ezlock_edge.test"]


async def test_work_runs_outside_the_context_that_started_it() -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="")
    marker.set("handling an MCU event")
    seen: list[str] = []

    async def look() -> None:
        seen.append(marker.get())

    tasks = BackgroundTasks(logging.getLogger("ezlock_edge.test"))
    tasks.spawn(look())
    await tasks.wait()
    assert seen == [""]


async def test_waiting_right_after_a_task_finished_returns() -> None:
    """A task that has finished but whose done callback has not run yet is not waited on.

    (Gathering finished tasks does not yield to the loop, so waiting for the set to
    empty would spin forever without letting the callback run.)
    """
    tasks = BackgroundTasks(logging.getLogger("ezlock_edge.test"))

    for stop in (tasks.wait, tasks.cancel):
        ending = asyncio.get_running_loop().create_future()

        async def quick(ending: asyncio.Future[None] = ending) -> None:
            ending.set_result(None)  # wakes the test before the task's own callbacks

        task = tasks.spawn(quick())
        await ending  # the task has finished; its done callback is still queued
        assert task.done()
        await stop()


async def test_eager_work_runs_before_spawn_returns_and_may_end_there() -> None:
    """``eager``: the work runs up to its first wait at once; done at once, nothing is kept."""
    tasks = BackgroundTasks(logging.getLogger("ezlock_edge.test"))
    steps: list[str] = []
    go_on = asyncio.Event()

    async def work() -> None:
        steps.append("began")
        await go_on.wait()
        steps.append("ended")

    async def at_once() -> None:
        steps.append("at once")

    task = tasks.spawn(work(), eager=True)
    assert steps == ["began"]
    assert not task.done()
    finished = tasks.spawn(at_once(), eager=True)
    assert finished.done()
    assert steps == ["began", "at once"]
    go_on.set()
    await tasks.wait()
    assert steps == ["began", "at once", "ended"]
