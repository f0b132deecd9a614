/**
 * GPU device memory read from NVIDIA's management library (NVML, {@code libnvidia-ml.so.1}, installed with the driver)
 * through the Foreign Function &amp; Memory API ({@code java.lang.foreign}): no JNI, no dependency, only
 * {@code java.base}. ONNX Runtime's Java API does not report device memory, so the service reads it here when the
 * CUDA execution provider is on.
 *
 * <ul>
 *   <li>{@link dev.blip2serve.gpu.Nvml}: the binding (init, device handle, memory info, compute processes, shutdown),
 *       over any {@link java.lang.foreign.SymbolLookup} so tests can put an NVML written in Java behind it.</li>
 *   <li>{@link dev.blip2serve.gpu.NvmlProbe}: a {@code main} that prints the readings as JSON lines, for checking a
 *       real GPU with nothing but a {@code java.base} runtime.</li>
 * </ul>
 *
 * <p>No Spring, no ONNX Runtime here (ArchUnit checks it). Code calling into native code needs
 * {@code --enable-native-access=ALL-UNNAMED} (the jar's manifest and the test JVMs have it); without it the JDK warns.
 */
package dev.blip2serve.gpu;
