# Types for the compiled core (sim/_compiled.py): Cython reads this beside office_state.py;
# the Python source stays the reference. An office receives every case that reaches it and
# decides on every service its desk finishes (together about half the events of a city
# replication): its calendar, desk and rules are C types here, called without Python's
# method lookup, and its staffing numbers sit in the object. Office (sim/model/agents.py)
# is a Mesa agent deriving from this class; Python subclasses do not override these
# methods (the decision of each stage is in the base: judge), since a C call does not see
# an override.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from sim.engine.desk cimport DeskClient, ServiceDesk
from sim.engine.streams cimport KeyedDraws
from sim.engine.worktime cimport WorkCalendar
from sim.model.cases cimport Case, VisitLog
from sim.model.coordination cimport CoordinationRules

@cython.final
cdef class ServiceTimes:
    cdef public double mean
    cdef public bint fixed
    cdef public KeyedDraws visit, recheck
    @cython.locals(visit=KeyedDraws, u=double)
    cpdef double time(self, Case case) except? -1.0

cdef class OfficeState(DeskClient):
    cdef public object name
    cdef public WorkCalendar calendar
    cdef public object flow
    cdef public CoordinationRules rules
    cdef public str stage_key
    cdef public bint screens, downstream
    cdef public double cherry_pick
    cdef public ServiceDesk desk
    cdef public long long staff, surge_staff
    cdef public double surge_queue
    cdef public long long surges
    cdef public ServiceTimes service
    cdef public VisitLog journey
    cdef adapt(self)
    # C calls only (cdef: see sim/engine/desk.pxd), from the case flow and the desk
    @cython.locals(w=double)
    cdef receive(self, Case case, double t)
    # the desk's calls (DeskClient), each with the case typed as c
    cdef double service_time(self, case) except? -1.0
    @cython.locals(c=Case)
    cdef bint start(self, case, double t) except -1
    cdef serve(self, case, double t_start, double t_end)
    @cython.locals(c=Case)
    cdef decide(self, case, double t)
    cdef judge(self, Case case, double t, double u_rework, double u_judge)
