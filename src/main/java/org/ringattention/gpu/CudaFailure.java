package org.ringattention.gpu;

import jcuda.driver.CUresult;

/**
 * A CUDA driver call that returned an error code. The code decides what the caller does
 * (CUDA driver API, error codes): out-of-memory is not sticky, so the block is split and retried; a sticky
 * error (an illegal address and its kin) leaves CUDA in this process unusable, so the executor must
 * exit for Spark to reschedule the task elsewhere.
 */
public final class CudaFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** CUDA_ERROR_OUT_OF_MEMORY. */
    static final int OUT_OF_MEMORY = CUresult.CUDA_ERROR_OUT_OF_MEMORY;

    private final int code;

    public CudaFailure(int code, String call) {
        super(call + " failed: " + CUresult.stringFor(code) + " (" + code + ")");
        this.code = code;
    }

    public int code() {
        return code;
    }

    public boolean outOfMemory() {
        return code == OUT_OF_MEMORY;
    }

    /** Whether the context is corrupted for the rest of the process (cuda.h: "the process must be terminated"). */
    public boolean sticky() {
        return isSticky(code);
    }

    static boolean isSticky(int code) {
        switch (code) {
            case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS:
            case CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR:
            case CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION:
            case CUresult.CUDA_ERROR_MISALIGNED_ADDRESS:
            case CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE:
            case CUresult.CUDA_ERROR_INVALID_PC:
            case CUresult.CUDA_ERROR_LAUNCH_FAILED:
            // What the driver reports after a GPU fault (Xid) it cannot name.
            case CUresult.CUDA_ERROR_UNKNOWN:
                return true;
            default:
                return false;
        }
    }
}
