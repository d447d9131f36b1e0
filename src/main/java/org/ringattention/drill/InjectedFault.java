package org.ringattention.drill;

/**
 * The failure a drill's {@link FaultPlan.Kind#TASK} fault throws: an Error, so the stages' per-document
 * handling, which turns exceptions into rejects, lets it fail the task.
 */
public final class InjectedFault extends Error {

    private static final long serialVersionUID = 1L;

    InjectedFault(String message) {
        super(message);
    }
}
