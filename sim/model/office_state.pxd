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
from sim.engine.desk cimport ServiceDesk
from sim.engine.worktime cimport WorkCalendar
from sim.model.cases cimport Case
from sim.model.coordination cimport CoordinationRules

cdef class OfficeState:
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
    cdef adapt(self)
    @cython.locals(w=double)
    cpdef receive(self, Case case, double t)
    cpdef bint start(self, Case case, double t)
    cpdef decide(self, Case case, double t)
    cdef judge(self, Case case, double t, double u_rework, double u_judge)
