using Ddpm.Core.Checkpoints;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests.Checkpoints;

[Collection(TensorLeakCollection.Name)]
public sealed class CheckpointFilesTests
{
    [Fact]
    public void Checkpoints_are_listed_newest_step_first_by_number_not_by_name()
    {
        using var folder = new TempDirectory();
        foreach (string name in new[] { "checkpoint-00000009.ddpm", "checkpoint-123456789.ddpm", "checkpoint-00000100.ddpm", "model.ddpm", "checkpoint-latest.ddpm", ".checkpoint-00000200.ddpm.1.tmp" })
        {
            File.WriteAllBytes(folder.File(name), [1, 2, 3]);
        }

        IReadOnlyList<(long Step, string Path)> listed = CheckpointFiles.List(folder.Path);

        // A nine-digit step sorts first although its name sorts last as text.
        listed.Select(c => c.Step).Should().Equal(123456789, 100, 9);
        listed.Select(c => Path.GetFileName(c.Path)).Should().Equal("checkpoint-123456789.ddpm", "checkpoint-00000100.ddpm", "checkpoint-00000009.ddpm");
        CheckpointFiles.List(Path.Combine(folder.Path, "missing")).Should().BeEmpty();
        CheckpointFiles.FileName(1000).Should().Be("checkpoint-00001000.ddpm");
        var negative = () => CheckpointFiles.FileName(-1);
        negative.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("step");
    }

    [Fact]
    public void The_newest_readable_checkpoint_is_found_past_a_damaged_one()
    {
        using var folder = new TempDirectory();
        using (DdpmModel model = TinyModels.Untrained(timesteps: 10, channels: 1, size: 8))
        {
            model.Save(folder.File(CheckpointFiles.FileName(5)));
        }

        File.WriteAllBytes(folder.File(CheckpointFiles.FileName(10)), new byte[64]);
        var logger = new RecordingLogger<CheckpointFilesTests>();

        string? newest = CheckpointFiles.FindNewest(folder.Path, logger);

        newest.Should().Be(folder.File("checkpoint-00000005.ddpm"));
        logger.Entries.Should().ContainSingle(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("checkpoint-00000010.ddpm"), "the damaged newer file is reported");
        File.Delete(newest!);
        CheckpointFiles.FindNewest(folder.Path).Should().BeNull("only a damaged checkpoint is left");
    }
}
