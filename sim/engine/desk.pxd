# Types for the compiled core (sim/_compiled.py): Cython reads this beside desk.py; the
# Python source stays the reference. A queue entry keeps its numbers in itself, as an
# Event does (sim/engine/events.pxd).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython
from sim.engine.events cimport EventQueue, Handler
from sim.engine.worktime cimport WorkCalendar

@cython.final
@cython.freelist(4096)
cdef class Waiting:
    cdef public double key
    cdef public long long seq
    cdef public double t_arr
    cdef public object item

# The desk calls its client in C (an office: sim/model/office_state.pxd). cdef, not
# cpdef: a cpdef call on an office (a Mesa agent, a Python subclass with an instance
# dict) first looks for a Python override by name, about 350 instructions a call.
cdef class DeskClient:
    cdef double service_time(self, item) except? -1.0
    cdef bint start(self, item, double t) except -1
    cdef serve(self, item, double t_start, double t_end)
    cdef decide(self, item, double t)

@cython.final
cdef class Callbacks(DeskClient):
    cdef public object sample, on_done, on_start, on_service

cdef class ServiceDesk(Handler):
    cdef public object name
    cdef public long long servers
    cdef public WorkCalendar calendar
    cdef public EventQueue events
    cdef public DeskClient client
    cdef public list queue
    cdef public long long busy
    cdef public long long _seq
    cdef public long long arrivals
    cdef public long long started
    cdef public long long completed
    cdef public double wait_total
    cdef public long long waited
    cdef public long long departed
    cdef public double sojourn_total
    cdef public double _area
    cdef public double _last_t
    @cython.locals(w=Waiting)
    cpdef arrive(self, item, double t, key=*)
    @cython.locals(cal=WorkCalendar, client=DeskClient, w=Waiting, start=double, end=double)
    cpdef _dispatch(self, double t)
    cdef on_event(self, int kind, double t, object a, object b)
    cpdef _finish(self, double t, Waiting w)
