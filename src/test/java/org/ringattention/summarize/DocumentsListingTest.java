package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        // A man page of a Perl module: man-ExtUtils::Constant::Base.3perl.txt once stopped the whole night.
        assertTrue(Documents.listingReject(new FileStatus(10, false, 1, 1, 0, new Path("/in/man-A::B.3perl.txt")), 100)
                .startsWith("a ':' in the file name"));
    }

    @Test
    void slicesHoldAboutEqualBytesAndTheLongestDocumentsStartFirst() {
        java.util.List<org.apache.spark.sql.Row> listing = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(3);
        long total = 0;
        for (int i = 0; i < 300; i++) {
            long bytes = 2_000 + random.nextInt(60_000);
            listing.add(org.apache.spark.sql.RowFactory.create("doc-" + i + ".txt", "/in/doc-" + i + ".txt", bytes, null));
            total += bytes;
        }
        listing.add(org.apache.spark.sql.RowFactory.create("manual.txt", "/in/manual.txt", 3_000_000L, null));
        total += 3_000_000L;
        java.util.List<java.util.List<org.apache.spark.sql.Row>> slices = Documents.slices(listing, 2);
        assertEquals((total + Documents.SLICE_BYTES - 1) / Documents.SLICE_BYTES, slices.size(), "one slice a MiB");
        assertEquals(java.util.List.of("manual.txt"), slices.get(0).stream().map(r -> r.getString(0)).toList(),
                "the longest document alone, first");
        long smallest = Long.MAX_VALUE;
        long largest = 0;
        int files = 0;
        for (java.util.List<org.apache.spark.sql.Row> slice : slices.subList(1, slices.size())) {
            long bytes = slice.stream().mapToLong(r -> r.getLong(2)).sum();
            smallest = Math.min(smallest, bytes);
            largest = Math.max(largest, bytes);
            for (int i = 1; i < slice.size(); i++) {
                assertTrue(slice.get(i - 1).getLong(2) >= slice.get(i).getLong(2), "largest first in a slice");
            }
            files += slice.size();
        }
        assertEquals(300, files, "every file in one slice");
        assertTrue(largest - smallest <= 62_000, "slices within one file of each other: " + smallest + " to " + largest);
        assertEquals(1, Documents.slices(listing.subList(0, 1), 2).size(), "never more slices than files");
    }
}
