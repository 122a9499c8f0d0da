# Types for the compiled core (sim/_compiled.py): Cython reads this beside desk.py; the
# Python source stays the reference. A queue entry keeps its numbers in itself, as an
# Event does (sim/engine/events.pxd).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython
from sim.engine.events cimport EventQueue
from sim.engine.worktime cimport WorkCalendar

@cython.final
@cython.freelist(4096)
cdef class Waiting:
    cdef public double key
    cdef public long long seq
    cdef public double t_arr
    cdef public object item

cdef class ServiceDesk:
    cdef public object name
    cdef public long long servers
    cdef public WorkCalendar calendar
    cdef public EventQueue events
    cdef public object sample
    cdef public object on_done
    cdef public object on_start
    cdef public object on_service
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
    @cython.locals(cal=WorkCalendar, w=Waiting, start=double, end=double)
    cpdef _dispatch(self, double t)
