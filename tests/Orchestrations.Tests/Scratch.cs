#pragma warning disable
using System.Text;
using GenAiServerless.Data;
using GenAiServerless.Triggers;
namespace GenAiServerless.Tests.Orchestrations;
public class ScratchProbe
{
    [Fact]
    public void Probe()
    {
        var log = new StringBuilder();
        var c = new RecordCurator(0.1, 0.1, 1000);
        string? of = null;
        c.CurateFile("a", new StringReader("{\"id\":\"a1\",\"text\":\"x y\"}"), _ => { }, _ => { }, (_, o) => of = o);
        c.CurateFile("b", new StringReader("{\"id\":\"b7\",\"text\":\"x y\"}"), _ => { }, _ => { }, (_, o) => of = o);
        log.AppendLine("crossfile of=" + of);
        foreach (var p in new[] { "{\"schemaId\":5}", "{\"schemaId\":\"azureMonitorCommonAlertSchema\",\"data\":\"x\"}", "{\"schemaId\":\"azureMonitorCommonAlertSchema\",\"data\":null}" })
        {
            try { var r = DriftAlertParser.TryParse(p, out string e); log.AppendLine($"ok {r} / {e}"); }
            catch (Exception ex) { log.AppendLine($"THROWS {ex.GetType().Name}: {ex.Message}"); }
        }
        var sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) sb.Append($"{{\"id\":\"r{i}\",\"text\":\"record number {i}\"}}\n");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(sb.ToString()), 0xFF, 0xFE, 0xFD, (byte)'\n'];
        int curated = 0;
        var c2 = new RecordCurator(0.1, 0.1, 1000);
        var bad = c2.CurateFile("f", new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false, true), true), _ => curated++, _ => { }, (_, _) => { });
        log.AppendLine($"file rejected={bad?.Reason} curated-before={curated} read={c2.RecordsRead}");
        byte[] bom = [0xFF, 0xFE, 0x41, 0x42];
        var bad2 = new RecordCurator(0.1, 0.1, 1000).CurateFile("g", new StreamReader(new MemoryStream(bom), new UTF8Encoding(false, true), true), _ => { }, _ => { }, (_, _) => { });
        log.AppendLine($"FFFE start: {bad2?.Reason}");
        File.WriteAllText("/tmp/scratch-probe.txt", log.ToString());
    }
}
