package org.ringattention.platform;

import java.util.List;
import java.util.Map;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Java lists to and from the Scala sequences (and Java views of the maps) Spark hands out and takes, on Scala 2.13 ({@code
 * scala.jdk.javaapi.CollectionConverters}); the Scala 2.12 build has its own copy of this class
 * ({@code src/main/scala-2.12}). Callers type Spark's arrays as {@code scala.collection.Seq}, which both
 * versions give a UDF: {@code immutable.Seq} on 2.13, {@code mutable.WrappedArray} on 2.12.
 */
public final class ScalaCollections {

    private ScalaCollections() {
    }

    /** A Java view of {@code seq}. */
    public static <T> List<T> asJava(Seq<T> seq) {
        return CollectionConverters.asJava(seq);
    }

    /** A Java view of {@code map}. */
    public static <K, V> Map<K, V> asJava(scala.collection.Map<K, V> map) {
        return CollectionConverters.asJava(map);
    }

    /** An immutable Scala copy of {@code list}: a Spark {@code array} value in a {@code Row}. */
    public static <T> Seq<T> asScala(List<T> list) {
        return CollectionConverters.asScala(list).toSeq();
    }
}
