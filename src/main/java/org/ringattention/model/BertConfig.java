package org.ringattention.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.ringattention.io.BadInputException;

/**
 * The shape of a BERT-family encoder, as Hugging Face's {@code BertConfig} names it. Only the variant
 * this encoder computes is accepted: absolute position embeddings and GELU in its erf form.
 */
public record BertConfig(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize,
                         int maxPositions, int typeVocabSize, float layerNormEps) {

    /** config.json files larger than this are not configs. */
    static final long MAX_CONFIG_BYTES = 1 << 20;

    public BertConfig {
        if (vocabSize < 1 || hiddenSize < 1 || layers < 1 || heads < 1 || intermediateSize < 1 || maxPositions < 1
                || typeVocabSize < 1) {
            throw new BadInputException("model config has a non-positive size: " + sizes(vocabSize, hiddenSize,
                    layers, heads, intermediateSize, maxPositions, typeVocabSize));
        }
        if (hiddenSize % heads != 0) {
            throw new BadInputException("model config: hidden_size " + hiddenSize + " is not a multiple of"
                    + " num_attention_heads " + heads);
        }
        if (!(layerNormEps > 0f) || Float.isInfinite(layerNormEps)) {
            throw new BadInputException("model config: layer_norm_eps must be a positive number, got " + layerNormEps);
        }
    }

    private static String sizes(int v, int h, int l, int a, int i, int p, int t) {
        return "vocab_size=" + v + " hidden_size=" + h + " num_hidden_layers=" + l + " num_attention_heads=" + a
                + " intermediate_size=" + i + " max_position_embeddings=" + p + " type_vocab_size=" + t;
    }

    public int headDim() {
        return hiddenSize / heads;
    }

    /** Reads a Hugging Face {@code config.json}. */
    public static BertConfig read(Path file) {
        String what = "model config " + file;
        JsonObject o;
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new BadInputException(what + " is over " + MAX_CONFIG_BYTES + " bytes; is it really config.json?");
            }
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new BadInputException(what + " is not a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new BadInputException(what + " is missing; a safetensors checkpoint needs the config.json that"
                    + " Hugging Face saves beside it");
        } catch (IOException e) {
            throw new BadInputException(what + " cannot be read: " + e.getMessage(), e);
        } catch (JsonSyntaxException e) {
            throw new BadInputException(what + " is not valid JSON", e);
        }
        String type = string(o, "model_type", "bert", what);
        if (!type.equals("bert")) {
            throw new BadInputException(what + " has model_type '" + type + "'; only BERT-family encoders"
                    + " (model_type bert) are supported");
        }
        String act = string(o, "hidden_act", "gelu", what);
        if (!act.equals("gelu")) {
            throw new BadInputException(what + " has hidden_act '" + act + "'; only 'gelu' (the erf form) is supported");
        }
        String pos = string(o, "position_embedding_type", "absolute", what);
        if (!pos.equals("absolute")) {
            throw new BadInputException(what + " has position_embedding_type '" + pos + "'; only 'absolute' is supported");
        }
        return new BertConfig(integer(o, "vocab_size", what), integer(o, "hidden_size", what),
                integer(o, "num_hidden_layers", what), integer(o, "num_attention_heads", what),
                integer(o, "intermediate_size", what), integer(o, "max_position_embeddings", what),
                o.has("type_vocab_size") ? integer(o, "type_vocab_size", what) : 2,
                o.has("layer_norm_eps") ? number(o, "layer_norm_eps", what) : 1e-12f);
    }

    private static String string(JsonObject o, String key, String fallback, String what) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new BadInputException(what + ": " + key + " must be a string");
        }
        return e.getAsString();
    }

    private static int integer(JsonObject o, String key, String what) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BadInputException(what + " lacks the integer " + key);
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
            throw new BadInputException(what + ": " + key + " must be a non-negative integer, got " + e);
        }
        return (int) d;
    }

    private static float number(JsonObject o, String key, String what) {
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BadInputException(what + ": " + key + " must be a number");
        }
        return e.getAsFloat();
    }
}
