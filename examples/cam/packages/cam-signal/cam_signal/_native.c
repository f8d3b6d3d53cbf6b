/* cam_signal._native: the example's compiled extension (CPython 3.11, stable C API calls only). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *native_rms(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "rms() takes a sequence of numbers");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "rms() of an empty sequence");
        return NULL;
    }
    double sum = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        sum += v * v;
    }
    Py_DECREF(seq);
    /* sqrt without libm: Newton's method, enough for the example. */
    double mean = sum / (double)n, x = mean > 1.0 ? mean : 1.0;
    for (int k = 0; k < 64; k++) x = 0.5 * (x + mean / x);
    return PyFloat_FromDouble(mean == 0.0 ? 0.0 : x);
}

static PyObject *native_adler32(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = (const unsigned char *)view.buf;
    unsigned long a = 1, b = 0;
    for (Py_ssize_t i = 0; i < view.len; i++) {
        a = (a + p[i]) % 65521UL;
        b = (b + a) % 65521UL;
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong((b << 16) | a);
}

static PyMethodDef methods[] = {
    {"rms", native_rms, METH_O, "Root mean square of a sequence of numbers."},
    {"adler32", native_adler32, METH_O, "Adler-32 checksum of a bytes-like object."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cam_signal._native", "The example's compiled extension.", -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
