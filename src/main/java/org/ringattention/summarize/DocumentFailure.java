package org.ringattention.summarize;

/**
 * A stage failed on a document and the job runs with fail-fast: the message names the stage, the
 * document and the exception's class. The exception's own message is left out, since it may quote the
 * document; its stack trace is kept, so the executor log still shows where the failure happened.
 */
public final class DocumentFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String stage;
    private final String docId;

    DocumentFailure(String stage, String docId, Throwable cause) {
        super(stage + " failed on document " + docId + " (" + cause.getClass().getName() + ")");
        this.stage = stage;
        this.docId = docId;
        setStackTrace(cause.getStackTrace());
    }

    /** The stage that failed: a {@link FaultPoints#POINTS} name. */
    public String stage() {
        return stage;
    }

    /** The document it failed on, or null where the input has no {@code doc_id}. */
    public String docId() {
        return docId;
    }
}
