#!/usr/bin/env bash
# Service overhead (issue 7, item 3): HTTP + image decode + preprocess for a 1 MP JPEG (and a 64x64 PNG),
# measured against the engine alone. Re-runnable from the repository root:
#   docs/benchmarks/service-overhead.sh            # build, measure, print a summary
#   SKIP_BUILD=1 N=300 WARMUP=30 docs/benchmarks/service-overhead.sh
# Writes per-request CSVs and summary.json under $WORK (default /tmp/ovh-bench). Needs JDK 25 and python3.
set -euo pipefail
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
J=$JAVA_HOME/bin
WORK=${WORK:-/tmp/ovh-bench}; PORT=${PORT:-18931}; N=${N:-300}; WARMUP=${WARMUP:-30}
REPO_DIR=${REPO_DIR:-/tmp/ovh-repo}; BUILD_DIR=${BUILD_DIR:-target-ovh}
PARAMS='precision=fp32&max_new_tokens=20&num_beams=1'
PNG=data/shapes-blip2/eval/images/eval-0000.png
mkdir -p "$WORK"
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -o -Dbuild.dir=$BUILD_DIR -Dmaven.test.skip=true package
JAR=$BUILD_DIR/blip2-serve.jar

# --- the 1 MP JPEG: the 64x64 fixture upscaled (bicubic) to 1152x864, quality 0.9 (Java ImageIO)
cat > "$WORK/MakeJpeg.java" <<'EOF'
import javax.imageio.*; import javax.imageio.stream.*; import java.awt.*; import java.awt.image.*; import java.io.*;
public class MakeJpeg { public static void main(String[] a) throws Exception {
  BufferedImage src = ImageIO.read(new File(a[0])); int w=Integer.parseInt(a[2]), h=Integer.parseInt(a[3]);
  BufferedImage dst = new BufferedImage(w,h,BufferedImage.TYPE_INT_RGB); Graphics2D g=dst.createGraphics();
  g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
  g.drawImage(src,0,0,w,h,null); g.dispose();
  ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next(); ImageWriteParam p = wr.getDefaultWriteParam();
  p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT); p.setCompressionQuality(0.9f);
  try (ImageOutputStream os = ImageIO.createImageOutputStream(new File(a[1]))) { wr.setOutput(os); wr.write(null, new IIOImage(dst,null,null), p); }
}}
EOF
JPEG=$WORK/eval-0000-1152x864.jpg
$J/java "$WORK/MakeJpeg.java" $PNG "$JPEG" 1152 864

# --- the client: JDK HttpClient, HTTP/1.1, one connection, N sequential raw-body requests after WARMUP
cat > "$WORK/OverheadClient.java" <<'EOF'
import java.net.URI; import java.net.http.*; import java.nio.file.*; import java.util.*; import java.util.regex.*;
/** usage: OverheadClient URL FILE CONTENT_TYPE WARMUP N OUT_CSV */
public class OverheadClient { public static void main(String[] a) throws Exception {
  String url=a[0]; byte[] body=Files.readAllBytes(Path.of(a[1])); String ct=a[2]; int warm=Integer.parseInt(a[3]), n=Integer.parseInt(a[4]);
  HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  Pattern tp = Pattern.compile("\"timings_ms\"\\s*:\\s*\\{([^}]*)\\}"); Pattern kv = Pattern.compile("\"(\\w+)\"\\s*:\\s*([-0-9.eE]+)");
  StringBuilder csv = new StringBuilder("i,client_ms,queue,preprocess,vision,prefill,decode,total,engine,client_minus_engine,client_minus_total,batch_size,caption\n");
  String firstCaption=null;
  for (int i=-warm;i<n;i++) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(url)).header("Content-Type",ct).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    long t0=System.nanoTime(); HttpResponse<String> resp=c.send(r,HttpResponse.BodyHandlers.ofString()); long t1=System.nanoTime();
    if (resp.statusCode()!=200) throw new RuntimeException(resp.statusCode()+" "+resp.body());
    if (i<0) continue;
    Matcher m=tp.matcher(resp.body()); if(!m.find()) throw new RuntimeException(resp.body());
    Map<String,Double> t=new HashMap<>(); Matcher k=kv.matcher(m.group(1)); while(k.find()) t.put(k.group(1),Double.parseDouble(k.group(2)));
    double cl=(t1-t0)/1e6, eng=t.get("vision")+t.get("prefill")+t.get("decode");
    Matcher bs=Pattern.compile("\"batch_size\"\\s*:\\s*(\\d+)").matcher(resp.body()); bs.find();
    Matcher cap=Pattern.compile("\"text\"\\s*:\\s*\"([^\"]*)\"").matcher(resp.body()); cap.find();
    if (firstCaption==null) firstCaption=cap.group(1); else if(!firstCaption.equals(cap.group(1))) System.err.println("caption differs: "+cap.group(1));
    csv.append(String.format(Locale.ROOT,"%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s%n",i,cl,t.get("queue"),t.get("preprocess"),t.get("vision"),t.get("prefill"),t.get("decode"),t.get("total"),eng,cl-eng,cl-t.get("total"),bs.group(1),cap.group(1)));
  }
  Files.writeString(Path.of(a[5]),csv.toString()); System.out.println("caption: "+firstCaption+"  bytes: "+body.length);
}}
EOF
$J/javac -d "$WORK/cls" "$WORK/OverheadClient.java"

# --- the service, on loopback, fp32 only
$J/java -jar $JAR serve --server.port=$PORT --server.address=127.0.0.1 --blip2.repository=$REPO_DIR \
    --blip2.bootstrap-variants=fp32 > "$WORK/service.log" 2>&1 &
SVC=$!
trap 'kill $SVC 2>/dev/null || true; wait $SVC 2>/dev/null || true' EXIT
for i in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/actuator/health/readiness)" = 200 ] && break; sleep 1
done
uptime | tee "$WORK/uptime-before.txt"
U="http://127.0.0.1:$PORT/v1/captions?$PARAMS"
$J/java -cp "$WORK/cls" OverheadClient "$U" "$JPEG" image/jpeg $WARMUP $N "$WORK/http-jpeg-1mp.csv"
$J/java -cp "$WORK/cls" OverheadClient "$U" $PNG image/png $WARMUP $N "$WORK/http-png-64.csv"
# curl's own view of one connection per request (connect + transfer), same image, for comparison
for i in $(seq 1 $((WARMUP + N))); do
  curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: image/jpeg' --data-binary @"$JPEG" "$U"
done | tail -n $N > "$WORK/curl-jpeg-1mp.txt"
uptime | tee "$WORK/uptime-after-http.txt"
kill $SVC; wait $SVC 2>/dev/null || true; trap - EXIT

# --- the engine without HTTP: the caption CLI (one JVM, read + preprocess + engine per image, latency_ms)
for f in "$JPEG" $PNG; do
  args=(); for i in $(seq 1 $((WARMUP + N))); do args+=("$f"); done
  $J/java -jar $JAR caption --model $REPO_DIR/shapes-blip2/fp32 --json --max-new-tokens 20 "${args[@]}" \
    | tail -n $N > "$WORK/cli-$(basename "$f").jsonl"
done
uptime | tee "$WORK/uptime-after-cli.txt"

python3 - "$WORK" "$JPEG" <<'EOF'
import csv, json, sys, os, statistics
work, jpeg = sys.argv[1], sys.argv[2]
def pct(xs, p):
    xs = sorted(xs); k = (len(xs) - 1) * p / 100; f = int(k); c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)
def summ(xs): return {"p50": round(pct(xs, 50), 3), "p95": round(pct(xs, 95), 3), "mean": round(statistics.fmean(xs), 3), "n": len(xs)}
out = {}
for name, fn, cli in (("jpeg_1152x864", "http-jpeg-1mp.csv", "cli-" + os.path.basename(jpeg) + ".jsonl"),
                      ("png_64x64", "http-png-64.csv", "cli-eval-0000.png.jsonl")):
    rows = list(csv.DictReader(open(os.path.join(work, fn))))
    col = lambda k: [float(r[k]) for r in rows]
    cli_lat = [json.loads(l)["latency_ms"] for l in open(os.path.join(work, cli))]
    client = col("client_ms"); eng = col("engine")
    out[name] = {
        "caption": rows[0]["caption"], "batch_size_max": max(int(r["batch_size"]) for r in rows),
        "client_ms": summ(client), "server_total_ms": summ(col("total")), "queue_ms": summ(col("queue")),
        "preprocess_ms": summ(col("preprocess")), "vision_ms": summ(col("vision")), "prefill_ms": summ(col("prefill")),
        "decode_ms": summ(col("decode")), "engine_ms": summ(eng),
        "overhead_client_minus_engine_ms": summ(col("client_minus_engine")),
        "overhead_server_total_minus_engine_ms": summ([float(r["total"]) - float(r["engine"]) for r in rows]),
        "http_client_minus_server_total_ms": summ(col("client_minus_total")),
        "cli_read_preprocess_engine_ms": summ(cli_lat),
    }
out["curl_jpeg_1152x864_new_connection_ms"] = summ([float(x) * 1000 for x in open(os.path.join(work, "curl-jpeg-1mp.txt"))])
json.dump(out, open(os.path.join(work, "summary.json"), "w"), indent=2)
print(json.dumps(out, indent=2))
EOF
