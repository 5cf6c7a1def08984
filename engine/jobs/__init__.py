"""The one job runner: every long operation is a library job run by it, in worker processes
(worker pool, planner, recorder, recovery), and the runner on a thread for the GUI.
"""
