package org.ringattention.io;

/**
 * Input the user must fix: a missing or malformed file, shapes that disagree. The message is one line
 * that names the input and what is wrong with it, and never contains document text.
 */
public final class BadInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
