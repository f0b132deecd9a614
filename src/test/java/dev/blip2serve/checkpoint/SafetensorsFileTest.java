package dev.blip2serve.checkpoint;

import static dev.blip2serve.checkpoint.StFiles.concat;
import static dev.blip2serve.checkpoint.StFiles.entry;
import static dev.blip2serve.checkpoint.StFiles.f32;
import static dev.blip2serve.checkpoint.StFiles.header;
import static dev.blip2serve.checkpoint.StFiles.rejects;
import static dev.blip2serve.checkpoint.StFiles.u16;
import static dev.blip2serve.checkpoint.StFiles.write;
import static dev.blip2serve.checkpoint.StFiles.writeRaw;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Nested
    class Valid {

        @Test
        void f32RoundTripsBitExactly() {
            float[] values = {1.0f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, -1.5e-20f, Float.NEGATIVE_INFINITY,
                    Float.intBitsToFloat(0x7fc00001), 3.1415927f};
            Path f = write(dir.resolve("f32.safetensors"), header(entry("w", "F32", "[2,4]", 0, 32)), f32(values));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                TensorInfo t = st.tensors().get("w");
                assertThat(t.dtype()).isEqualTo(DType.F32);
                assertThat(t.shape()).containsExactly(2, 4);
                assertThat(t.elementCount()).isEqualTo(8);
                assertThat(t.byteCount()).isEqualTo(32);
                assertThat(bits(st.readFloats("w"))).containsExactly(bits(values));
                assertThat(st.bytes(t).byteSize()).isEqualTo(32);
            }
        }

        @Test
        void f16WidensExactly() {
            // 1.0, -2.0, smallest subnormal 2^-24, largest finite 65504, +inf, -0.0, 0.333251953125
            Path f = write(dir.resolve("f16.safetensors"), header(entry("h", "F16", "[7]", 0, 14)),
                    u16(0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x8000, 0x3555));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                float[] v = st.readFloats("h");
                assertThat(bits(v)).containsExactly(bits(new float[] {1.0f, -2.0f, 0x1p-24f, 65504f,
                        Float.POSITIVE_INFINITY, -0.0f, 0.333251953125f}));
            }
        }

        @Test
        void bf16WidensExactly() {
            // 1.0, -3.0, +inf, a bf16 subnormal, 0x3EAB = 0.333984375
            Path f = write(dir.resolve("bf16.safetensors"), header(entry("b", "BF16", "[5]", 0, 10)),
                    u16(0x3F80, 0xC040, 0x7F80, 0x0001, 0x3EAB));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                float[] v = st.readFloats("b");
                assertThat(bits(v)).containsExactly(bits(new float[] {1.0f, -3.0f, Float.POSITIVE_INFINITY,
                        Float.intBitsToFloat(0x00010000), 0.333984375f}));
            }
        }

        @Test
        void f64IsRoundedToFloat() {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-2.5);
            Path f = write(dir.resolve("f64.safetensors"), header(entry("d", "F64", "[2]", 0, 16)), b.array());
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.readFloats("d")).containsExactly(0.1f, -2.5f);
            }
        }

        @Test
        void severalTensorsInHeaderOrderWithMetadata() {
            String h = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\",\"nested\":{\"a\":1}},"
                    + entry("z", "F32", "[2]", 8, 16) + "," + entry("a", "F16", "[2,2]", 0, 8) + "}";
            Path f = write(dir.resolve("meta.safetensors"), h, concat(u16(0x3C00, 0x4000, 0x4200, 0x4400), f32(5f, 6f)));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.tensors().keySet()).containsExactly("z", "a");
                assertThat(st.metadata()).containsEntry("format", "pt").containsEntry("note", "x")
                        .containsEntry("nested", "{\"a\":1}");
                assertThat(st.readFloats("z")).containsExactly(5f, 6f);
                assertThat(st.readFloats("a")).containsExactly(1f, 2f, 3f, 4f);
                assertThat(st.tensors().get("a")).isEqualTo(new TensorInfo("a", DType.F16, new long[] {2, 2}, 0, 8));
                assertThat(st.path()).isEqualTo(f);
            }
        }

        @Test
        void headerPaddedWithSpacesLikeHuggingFaceWrites() {
            String h = header(entry("w", "F32", "[1]", 0, 4)) + "      ";
            Path f = write(dir.resolve("padded.safetensors"), h, f32(7f));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.readFloats("w")).containsExactly(7f);
                assertThat(st.metadata()).isEmpty();
            }
        }

        @Test
        void scalarAndZeroElementTensors() {
            String h = header(entry("scalar", "F32", "[]", 0, 4), entry("empty", "F32", "[0,3]", 4, 4),
                    entry("empty2", "BF16", "[3,0]", 4, 4), entry("after", "F32", "[1]", 4, 8));
            Path f = write(dir.resolve("scalar.safetensors"), h, f32(42f, -1f));
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                TensorInfo s = st.tensors().get("scalar");
                assertThat(s.rank()).isZero();
                assertThat(s.elementCount()).isEqualTo(1);
                assertThat(st.readFloats("scalar")).containsExactly(42f);
                assertThat(st.tensors().get("empty").elementCount()).isZero();
                assertThat(st.readFloats("empty")).isEmpty();
                assertThat(st.readFloats("empty2")).isEmpty();
                assertThat(st.readFloats("after")).containsExactly(-1f);
            }
        }

        @Test
        void fileWithoutAnyData() {
            Path onlyEmpty = write(dir.resolve("nodata.safetensors"), header(entry("e", "F16", "[0]", 0, 0)), new byte[0]);
            try (SafetensorsFile st = SafetensorsFile.open(onlyEmpty)) {
                assertThat(st.readFloats("e")).isEmpty();
                assertThat(st.bytes(st.tensors().get("e")).byteSize()).isZero();
            }
            Path none = write(dir.resolve("none.safetensors"), "{}", new byte[0]);
            try (SafetensorsFile st = SafetensorsFile.open(none)) {
                assertThat(st.tensors()).isEmpty();
            }
        }

        @Test
        void unknownNameAndNonFloatReadsAreOneLineErrors() {
            Path f = write(dir.resolve("ints.safetensors"), header(entry("i", "I32", "[2]", 0, 8)), new byte[8]);
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.tensors().get("i").dtype()).isEqualTo(DType.I32);
                rejects(f, "no tensor named 'nope'", () -> st.readFloats("nope"));
                rejects(f, "is I32, not a float type", () -> st.readFloats("i"));
            }
        }

        @Test
        void realFixtureOpens() {
            Path f = Path.of("src/test/resources/fixtures/tiny-blip2/model.safetensors");
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.tensors()).hasSize(113);
                assertThat(st.metadata()).containsEntry("format", "pt");
                float[] emb = st.readFloats("language_model.model.decoder.embed_tokens.weight");
                assertThat(emb).hasSize(301 * 64);
                assertThat(emb[0]).isEqualTo(-0.057842787355184555f);
                assertThat(emb[emb.length - 1]).isEqualTo(-0.2985322177410126f);
            }
        }
    }

    /** Files over 2 GB, written sparse: {@code setLength} without writing the gigabytes. */
    @Nested
    class Large {

        private Path sparse(String name, long totalSize, String headerJson, long dataLen, byte[] tail,
                            long markerOffset, byte marker) throws IOException {
            Path f = dir.resolve(name);
            byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(totalSize);
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
                raf.write(len.array());
                raf.write(h);
                long dataStart = 8 + h.length;
                assertThat(dataStart + dataLen).isEqualTo(totalSize);
                if (markerOffset >= 0) {
                    raf.seek(dataStart + markerOffset);
                    raf.write(marker);
                }
                raf.seek(totalSize - tail.length);
                raf.write(tail);
            }
            return f;
        }

        /** A header padded with spaces to {@code width} bytes, so the data length can be computed first. */
        private static String padded(String json, int width) {
            assertThat(json.length()).isLessThanOrEqualTo(width);
            return json + " ".repeat(width - json.length());
        }

        @Test
        void mapsAndReadsBeyondTwoGigabytes() throws IOException {
            int width = 256;
            long total = (5L << 29) + 4096; // ~2.5 GB
            long dataLen = total - 8 - width;
            long padBytes = dataLen - 16;
            String h = padded(header(entry("pad", "U8", "[" + padBytes + "]", 0, padBytes),
                    entry("tail", "F32", "[4]", padBytes, dataLen)), width);
            long marker = (1L << 31) + 12345; // past the 2 GB a ByteBuffer could address
            Path f = sparse("big.safetensors", total, h, dataLen, f32(1.5f, -2f, 3.25f, 4096f), marker, (byte) 0x5A);
            assertThat(Files.size(f)).isGreaterThan(1L << 31);
            long before = StFiles.allocatedBytes();
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.readFloats("tail")).containsExactly(1.5f, -2f, 3.25f, 4096f);
                TensorInfo pad = st.tensors().get("pad");
                var bytes = st.bytes(pad);
                assertThat(bytes.byteSize()).isEqualTo(padBytes);
                assertThat(bytes.get(ValueLayout.JAVA_BYTE, marker)).isEqualTo((byte) 0x5A);
                assertThat(bytes.get(ValueLayout.JAVA_BYTE, marker - 1)).isZero();
                assertThat(bytes.get(ValueLayout.JAVA_BYTE, padBytes - 1)).isZero();
                rejects(f, "not a float type", () -> st.readFloats("pad"));
            }
            if (before >= 0) {
                assertThat(StFiles.allocatedBytes() - before).as("mapped, not copied").isLessThan(StFiles.ALLOCATION_BUDGET);
            }
        }

        @Test
        void nonFloatTensorIsRefusedBeforeAllocatingItsFloatCopy() throws IOException {
            // 1 G bytes of U8: a float[] copy would be 4 GB; it must be refused without allocating it.
            int width = 128;
            long n = 1L << 30;
            long total = 8 + width + n;
            String h = padded(header(entry("mask", "U8", "[" + n + "]", 0, n)), width);
            Path f = sparse("u8.safetensors", total, h, n, new byte[] {1}, -1, (byte) 0);
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                rejects(f, "is U8, not a float type", () -> st.readFloats("mask"));
            }
        }

        @Test
        void headerOfGigabytesInAFileThatReallyIsThatBig() throws IOException {
            // The declared length fits in the file, but a header above the limit is never read into memory.
            Path f = dir.resolve("hugeheader.safetensors");
            long declared = 3L << 30;
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(8 + declared + 16);
                raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declared).array());
                raf.write('{');
            }
            rejects(f, "exceeds the 64 MB limit", () -> SafetensorsFile.open(f));
        }
    }

    @Nested
    class Hostile {

        private CheckpointException open(Path f, String phrase) {
            return rejects(f, phrase, () -> SafetensorsFile.open(f));
        }

        private Path withHeader(String name, String headerJson, int dataBytes) {
            return write(dir.resolve(name), headerJson, new byte[dataBytes]);
        }

        @Test
        void missingFile() {
            open(dir.resolve("absent.safetensors"), "file not found");
        }

        @Test
        void directoryInsteadOfFile() throws IOException {
            Path d = Files.createDirectory(dir.resolve("adir.safetensors"));
            open(d, "adir.safetensors");
        }

        @Test
        void emptyFile() {
            open(StFiles.bytes(dir.resolve("empty.safetensors"), new byte[0]), "shorter than the 8-byte header length");
        }

        @Test
        void fiveByteFile() {
            open(StFiles.bytes(dir.resolve("five.safetensors"), new byte[] {1, 2, 3, 4, 5}),
                    "5 bytes, shorter than the 8-byte header length");
        }

        @Test
        void headerLengthPastEndOfFile() {
            open(writeRaw(dir.resolve("past.safetensors"), 100, "{}".getBytes(StandardCharsets.UTF_8)),
                    "runs past the end of the file (10 bytes)");
        }

        @Test
        void headerLengthOneBytePastEnd() {
            byte[] h = header(entry("w", "F32", "[1]", 0, 4)).getBytes(StandardCharsets.UTF_8);
            open(writeRaw(dir.resolve("onepast.safetensors"), h.length + 1, h), "runs past the end of the file");
        }

        @ParameterizedTest
        @ValueSource(longs = {1L << 40, 3L << 30, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -8L, 0x7FFF_FFF8L})
        void hugeOrNegativeHeaderLengthInASmallFile(long declared) {
            Path f = writeRaw(dir.resolve("huge.safetensors"), declared,
                    header(entry("w", "F32", "[1]", 0, 4)).getBytes(StandardCharsets.UTF_8));
            CheckpointException e = open(f, "runs past the end of the file");
            assertThat(e.getMessage()).contains("header length " + Long.toUnsignedString(declared));
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 1})
        void headerLengthTooShort(long declared) {
            open(writeRaw(dir.resolve("short.safetensors"), declared, "{}xxxxxx".getBytes(StandardCharsets.UTF_8)),
                    "header length " + declared + " is too short");
        }

        @Test
        void headerNotJson() {
            open(withHeader("notjson.safetensors", "this is not json", 0), "header is not valid JSON");
        }

        @Test
        void headerWithTrailingGarbage() {
            open(withHeader("trailing.safetensors", "{} }", 0), "header is not valid JSON");
        }

        @Test
        void headerNotUtf8Json() {
            byte[] h = {'{', '"', (byte) 0xFF, (byte) 0xFE, '"', ':', '1', '}'};
            open(writeRaw(dir.resolve("binary.safetensors"), h.length, h), "binary.safetensors");
        }

        @Test
        void deeplyNestedHeaderIsNotAStackOverflow() {
            open(withHeader("deep.safetensors", "[".repeat(100_000), 0), "header is not valid JSON");
        }

        @Test
        void headerIsJsonArray() {
            open(withHeader("array.safetensors", "[{\"dtype\":\"F32\"}]", 0), "header is not a JSON object");
        }

        @Test
        void headerIsBlank() {
            open(withHeader("blank.safetensors", "        ", 0), "header is not a JSON object");
        }

        @Test
        void entryNotAnObject() {
            open(withHeader("entry.safetensors", "{\"w\":[1,2]}", 0), "tensor 'w': entry is not an object");
        }

        @Test
        void unknownDtype() {
            open(withHeader("dtype.safetensors", header(entry("w", "Q4_K", "[2]", 0, 2)), 2), "tensor 'w': unknown dtype 'Q4_K'");
        }

        @Test
        void lowercaseDtypeIsUnknown() {
            open(withHeader("lower.safetensors", header(entry("w", "f32", "[1]", 0, 4)), 4), "unknown dtype 'f32'");
        }

        @Test
        void missingDtype() {
            open(withHeader("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w': missing dtype");
        }

        @Test
        void dtypeNotAString() {
            open(withHeader("numdtype.safetensors", "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "missing dtype");
        }

        @Test
        void missingShape() {
            open(withHeader("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'w': missing shape");
        }

        @Test
        void missingDataOffsets() {
            open(withHeader("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                    "tensor 'w': data_offsets must be [begin, end]");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[0]", "[0,4,8]", "[\"0\",\"4\"]", "[0.0,4.0]", "{}", "[0,99999999999999999999999]"})
        void malformedDataOffsets(String offsets) {
            open(withHeader("badoffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", 4),
                    "data_offsets must be [begin, end]");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[-1]", "[2,-3]", "[1.5]", "[\"4\"]", "[null]", "[99999999999999999999999]"})
        void negativeOrNonIntegerDims(String shape) {
            open(withHeader("dims.safetensors", header(entry("w", "F32", shape, 0, 4)), 4),
                    "is not a list of non-negative integers");
        }

        @Test
        void shapeOverflowsLong() {
            long big = 1L << 40;
            open(withHeader("overflow.safetensors", header(entry("w", "F32", "[" + big + "," + big + "]", 0, 4)), 4),
                    "tensor 'w': shape [1099511627776,1099511627776] overflows");
        }

        @Test
        void shapeTimesElementSizeOverflowsLong() {
            long n = 1L << 31;
            open(withHeader("overflow2.safetensors", header(entry("w", "F32", "[" + n + "," + n + "]", 0, 4)), 4), "overflows");
        }

        @Test
        void shapeDoesNotMatchByteCount() {
            open(withHeader("mismatch.safetensors", header(entry("w", "F32", "[3]", 0, 8)), 8),
                    "tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets span 8");
        }

        @Test
        void hugeShapeWithTinyOffsetsIsAMismatchNotAnAllocation() {
            open(withHeader("hugeshape.safetensors", header(entry("w", "F32", "[1073741824,2]", 0, 8)), 8),
                    "needs 8589934592 bytes but data_offsets span 8");
        }

        @Test
        void offsetsPastTheDataSection() {
            open(withHeader("range.safetensors", header(entry("w", "F32", "[250]", 0, 1000)), 16),
                    "tensor 'w': data_offsets [0, 1000] out of range (data section is 16 bytes)");
        }

        @Test
        void negativeBeginOffset() {
            open(withHeader("negbegin.safetensors", header(entry("w", "F32", "[1]", -4, 0)), 16), "data_offsets [-4, 0] out of range");
        }

        @Test
        void beginAfterEnd() {
            open(withHeader("reversed.safetensors", header(entry("w", "F32", "[1]", 8, 4)), 16), "data_offsets [8, 4] out of range");
        }

        @Test
        void hugeOffsets() {
            open(withHeader("hugeoffsets.safetensors", header(entry("w", "U8", "[" + Long.MAX_VALUE + "]", 0, Long.MAX_VALUE)), 16),
                    "out of range");
        }

        @Test
        void overlappingTensors() {
            String h = header(entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[2]", 4, 12));
            open(withHeader("overlap.safetensors", h, 12), "tensors 'a' and 'b' overlap");
        }

        @Test
        void tensorInsideAnother() {
            String h = header(entry("outer", "F32", "[4]", 0, 16), entry("c", "F32", "[1]", 12, 16), entry("inner", "F32", "[1]", 4, 8));
            open(withHeader("inside.safetensors", h, 16), "tensors 'outer' and 'inner' overlap");
        }

        @Test
        void identicalRanges() {
            String h = header(entry("x", "F16", "[2]", 0, 4), entry("y", "F16", "[2]", 0, 4));
            open(withHeader("same.safetensors", h, 4), "overlap");
        }

        @Test
        void truncatedDataSection() throws IOException {
            String h = header(entry("a", "F32", "[4]", 0, 16), entry("b", "F32", "[4]", 16, 32));
            Path whole = write(dir.resolve("whole.safetensors"), h, new byte[32]);
            try (SafetensorsFile ok = SafetensorsFile.open(whole)) {
                assertThat(ok.tensors()).hasSize(2);
            }
            byte[] all = Files.readAllBytes(whole);
            Path cut = StFiles.bytes(dir.resolve("cut.safetensors"), Arrays.copyOf(all, all.length - 10));
            open(cut, "tensor 'b': data_offsets [16, 32] out of range (data section is 22 bytes)");
        }

        @Test
        void fixtureTruncatedInItsHeader() throws IOException {
            byte[] all = Files.readAllBytes(Path.of("src/test/resources/fixtures/tiny-blip2/model.safetensors"));
            Path cut = StFiles.bytes(dir.resolve("tiny-cut.safetensors"), Arrays.copyOf(all, 4000));
            open(cut, "runs past the end of the file (4000 bytes)");
        }

        @Test
        void fixtureTruncatedInItsData() throws IOException {
            byte[] all = Files.readAllBytes(Path.of("src/test/resources/fixtures/tiny-blip2/model.safetensors"));
            Path cut = StFiles.bytes(dir.resolve("tiny-cut2.safetensors"), Arrays.copyOf(all, all.length - 1));
            open(cut, "out of range");
        }

        @Test
        void controlCharactersFromTheHeaderStayOnOneLine() {
            String h = "{\"evil\\nname\":{\"dtype\":\"F32\\r\\nINJECTED\",\"shape\":[1],\"data_offsets\":[0,4]}}";
            CheckpointException e = open(withHeader("newline.safetensors", h, 4), "unknown dtype");
            assertThat(e.getMessage()).contains("evil\\nname").contains("F32\\r\\nINJECTED");
        }

        @Test
        void megabyteTensorNameGivesABoundedMessage() {
            // Jackson caps names at 50 000 characters, string values at 20 M: a 40 000-character name and a 2 M dtype.
            String name = "n".repeat(40_000);
            String dtype = "d".repeat(2_000_000);
            CheckpointException e = open(withHeader("longname.safetensors", header(entry(name, dtype, "[1]", 0, 4)), 4), "tensor 'nnnn");
            assertThat(e.getMessage().length()).isLessThan(CheckpointException.MAX_PROBLEM_CHARS + 500);
            assertThat(e.getMessage()).contains("more characters");
        }

        @Test
        void everyCaseAboveIsACheckpointExceptionNotARuntimeLeak() {
            // A sweep of random junk after a plausible header length must never escape as another exception type.
            java.util.Random r = new java.util.Random(7);
            List<Long> lengths = List.of(2L, 16L, 64L);
            for (int i = 0; i < 200; i++) {
                byte[] junk = new byte[64];
                r.nextBytes(junk);
                if (i % 2 == 0) {
                    byte[] s = "{\"w\":{\"dtype\":\"F32\",\"shape\":[".getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(s, 0, junk, 0, s.length);
                }
                Path f = writeRaw(dir.resolve("junk" + i + ".safetensors"), lengths.get(i % 3), junk);
                rejects(f, "junk" + i + ".safetensors", () -> SafetensorsFile.open(f));
            }
        }
    }
}
