# Types for the compiled core (sim/_compiled.py): Cython reads this beside desk.py; the
# Python source is unchanged and stays the reference.
from sim.engine.events cimport EventQueue

cdef class ServiceDesk:
    cdef public object name
    cdef public long long servers
    cdef public object calendar
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
