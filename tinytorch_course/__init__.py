"""tinytorch_course: what teaches the framework, kept beside it (never inside `tinytorch`).

- `checks/`    the in-notebook check library (`Lesson`, `implement`, `use_my_work`) and one case file per lesson
- `registry`   the ONE registry of the 20 lessons and 6 milestones (`python -m tinytorch_course.registry`
               prints course.json for the landing page)
- `progress`   where check results are stored (IndexedDB in the browser, a JSON file natively)
- `milestone`  start/finish helpers of the milestone scripts (run mode, learner's work, progress)
- `timing`     `best_time`, the lessons' systems-section timer

It imports `tinytorch`; `tinytorch` never imports it (tests/test_layering.py).
"""
