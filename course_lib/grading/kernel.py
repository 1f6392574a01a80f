"""The grading kernel: an ordinary IPython kernel of this Python, started under resource limits.

    python -m course_lib.grading.kernel MEMORY_MB MAX_OUTPUT_BYTES -f CONNECTION_FILE

RLIMIT_DATA caps the kernel's heap: past it an allocation raises MemoryError (the student's cell fails)
instead of exhausting the machine. (RLIMIT_AS would be simpler but aborts JAX's runtime at import
below about 2 GB of address space, while 1 GB of RLIMIT_DATA lets JAX run.) Core dumps are disabled.

Printed output past MAX_OUTPUT_BYTES is dropped inside the kernel, after one TRUNCATED line, so a
flood of prints costs the kernel nothing and never crosses to the grader. (Rich outputs such as images
do not pass through here; the grader caps those on its side.)
"""
import resource
import sys


TRUNCATED = "\n[course-grade: output past the cap was discarded]\n"


def cap_output(max_bytes):
    """Make every ipykernel output stream drop what comes after `max_bytes` characters in total."""
    from ipykernel import iostream

    write, written = iostream.OutStream.write, [0]

    def capped_write(self, text):
        before = written[0]
        written[0] += len(text)
        if written[0] <= max_bytes:
            return write(self, text)
        if before <= max_bytes:
            write(self, TRUNCATED)
        return len(text)

    iostream.OutStream.write = capped_write


def main():
    memory_mb, max_output_bytes = int(sys.argv[1]), int(sys.argv[2])
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.argv = [sys.argv[0], *sys.argv[3:]]
    cap_output(max_output_bytes)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
