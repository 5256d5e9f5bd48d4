"""What every experiment gives the one runner: a *plan*.

A plan says which tasks (``dask_runner.Task``: one training run each) can run now, how many
jobs the whole design has and how many are finished, and what to do with a result and at
the end.  ``catalogue.run_experiment`` executes any plan on Dask; ``catalogue.status``
reads the same plan to say what is finished and what is left.  Plans whose later tasks
depend on earlier results (searches, then final runs) unfold as the results arrive, because
the runner calls :meth:`Plan.ready` again after every result.
"""
import os

from .dask_runner import is_done

__all__ = ["Plan", "TaskListPlan", "Progress"]


class Progress(tuple):
    """``(jobs, finished, cost, finished_cost)`` of a plan: jobs of the whole design, those
    with a result, and their estimated seconds of one core (``cost``: ``None`` when the plan
    has no cost model)."""
    __slots__ = ()

    def __new__(cls, jobs, finished, cost=None, finished_cost=None):
        return super().__new__(cls, (int(jobs), int(finished), cost, finished_cost))

    jobs = property(lambda self: self[0])
    finished = property(lambda self: self[1])
    cost = property(lambda self: self[2])
    finished_cost = property(lambda self: self[3])

    @property
    def left(self):
        return self.jobs - self.finished

    @property
    def left_cost(self):
        return None if self.cost is None else max(self.cost - (self.finished_cost or 0.0), 0.0)


class Plan:
    """Base of the experiments' plans.  Subclasses set ``checkpoints`` (the folder of the
    per-task checkpoints) and implement :meth:`ready` and :meth:`progress`."""

    checkpoints = None
    #: set by ``catalogue.status`` and ``--dry-run``: the plan may read but must not write
    readonly = False

    def ready(self):
        """The tasks that can run now (the runner skips those whose result exists)."""
        raise NotImplementedError

    def progress(self):
        """A :class:`Progress` of the whole design."""
        raise NotImplementedError

    def on_result(self, task, record):
        """Called by the runner after each result (after its file is written)."""

    def finish(self):
        """Called once the runner has nothing left to run; returns a line for the log or
        ``None`` (e.g. a search's summary file, a grid's final status)."""
        return None

    def pending(self):
        """Ids of the tasks ready now that have no result yet (``--dry-run``)."""
        return [t.id for t in self.ready()
                if t.path is None or t.replace or not is_done(t.path, t.config.get("epochs"))]


class TaskListPlan(Plan):
    """A plan whose tasks are all known up front (a grid of runs): ``tasks()`` returns them,
    each with its result path; a task is finished when its file holds a finished or diverged
    run of at least its epochs (``done(task)`` may say more, e.g. "of the same config")."""

    def tasks(self):
        raise NotImplementedError

    def done(self, task):
        return task.path is not None and is_done(task.path, task.config.get("epochs"))

    def ready(self):
        return [t for t in self.tasks() if not self.done(t)]

    def progress(self):
        tasks = self.tasks()
        fin = [t for t in tasks if self.done(t)]
        return Progress(len(tasks), len(fin), sum(t.cost for t in tasks), sum(t.cost for t in fin))


def default_checkpoints(folder, name):
    """``<folder>/.checkpoints/<name>``: where an experiment keeps its runs' checkpoints."""
    return os.path.join(folder, ".checkpoints", name)
