"""The simulation engine, with no knowledge of Jambi Bugar: an event queue, a
multi-server office desk working in working time, working calendars and named random
streams. Everything above (``sim.model.city``, ``sim.model.population``, ``sim.model.pathways``) builds on it.
"""

from sim.engine.desk import ServiceDesk
from sim.engine.events import LATE, NORMAL, URGENT, EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock, WorkCalendar

__all__ = ["LATE", "NORMAL", "URGENT", "Clock", "EventQueue", "ServiceDesk", "Streams",
           "WorkCalendar"]
