package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** What the listing alone decides about a file of an input directory, before anything is read. */
class DocumentsListingTest {

    private static FileStatus file(String name, long bytes) {
        return new FileStatus(bytes, false, 1, 1, 0, new Path("/in/" + name));
    }

    @Test
    void textMarkdownAndRestructuredTextFilesAreRead() {
        for (String name : new String[] {"a.txt", "b.TEXT", "c.md", "d.markdown", "vignette.Rmd", "e.qmd", "f.rst"}) {
            assertNull(Documents.listingReject(file(name, 10), 100), name);
        }
    }

    @Test
    void otherFilesAreRejectsWithTheirReason() {
        assertTrue(Documents.listingReject(file("scan.pdf", 10), 100).startsWith("unsupported file type; give text"
                + " files (.txt, .text, .md"));
        assertTrue(Documents.listingReject(file("_draft.md", 10), 100).startsWith("hidden file name"));
        assertTrue(Documents.listingReject(file("big.rst", 401), 100).contains("not read"));
        assertTrue(Documents.listingReject(new FileStatus(0, true, 1, 1, 0, new Path("/in/sub")), 100)
                .startsWith("a directory"));
    }
}
