using Ddpm.Core.Checkpoints;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Compares and edits training checkpoints section by section, for tests of resuming.</summary>
internal static class CheckpointAssert
{
    private static readonly string[] JsonSections = [CheckpointSections.Meta, CheckpointSections.Model, CheckpointSections.Scheduler, CheckpointSections.Training];

    /// <summary>
    /// Asserts that two training checkpoints hold the same run state: the same step, epoch, seed and smoothed loss,
    /// and, in every other section <paramref name="expected"/> has (weights, EMA, optimiser moments and step
    /// counts, random state, loss history: tensors), the same names with tensors of the same type and shape, equal
    /// element for element. A JSON section added later fails here loudly until it is named in <see cref="JsonSections"/>.
    /// </summary>
    public static void SameRunState(string actual, string expected)
    {
        using CheckpointReader a = CheckpointReader.Open(actual);
        using CheckpointReader e = CheckpointReader.Open(expected);
        TrainingSection actualRun = a.ReadJson<TrainingSection>(CheckpointSections.Training);
        TrainingSection expectedRun = e.ReadJson<TrainingSection>(CheckpointSections.Training);
        (actualRun.Step, actualRun.Epoch, actualRun.Seed, actualRun.SmoothedLoss)
            .Should().Be((expectedRun.Step, expectedRun.Epoch, expectedRun.Seed, expectedRun.SmoothedLoss), "step, epoch, seed and smoothed loss");

        foreach (string section in e.SectionNames.Except(JsonSections))
        {
            a.Has(section).Should().BeTrue($"{actual} has the section '{section}'");
            Dictionary<string, Tensor> actualTensors = a.ReadTensors(section);
            Dictionary<string, Tensor> expectedTensors = e.ReadTensors(section);
            try
            {
                actualTensors.Keys.Should().BeEquivalentTo(expectedTensors.Keys, $"section '{section}' holds the same tensors");
                foreach ((string name, Tensor want) in expectedTensors)
                {
                    Tensor got = actualTensors[name];
                    got.dtype.Should().Be(want.dtype, $"{section}/{name} keeps its type");
                    got.IsIdenticalTo(want).Should().BeTrue($"{section}/{name} is equal element for element");
                }
            }
            finally
            {
                foreach (Tensor t in actualTensors.Values.Concat(expectedTensors.Values))
                {
                    t.Dispose();
                }
            }
        }
    }

    /// <summary>Rewrites a checkpoint in place with one tensor replaced by <paramref name="replace"/>'s result (which the caller hands over).</summary>
    public static void Rewrite(string path, string section, string name, Func<Tensor, Tensor> replace)
    {
        string copy = path + ".edited";
        using (CheckpointReader reader = CheckpointReader.Open(path))
        using (var writer = new CheckpointWriter(copy))
        {
            foreach (string json in JsonSections.Where(reader.Has))
            {
                writer.AddJson(json, reader.ReadJson(json));
            }

            bool replaced = false;
            foreach (string tensors in reader.SectionNames.Except(JsonSections))
            {
                Dictionary<string, Tensor> stored = reader.ReadTensors(tensors);
                if (tensors == section && stored.TryGetValue(name, out Tensor? old))
                {
                    stored[name] = replace(old);
                    old.Dispose();
                    replaced = true;
                }

                writer.AddTensors(tensors, stored);
                foreach (Tensor t in stored.Values)
                {
                    t.Dispose();
                }
            }

            replaced.Should().BeTrue($"{path} holds {section}/{name}");
            writer.Commit();
        }

        File.Move(copy, path, overwrite: true);
    }
}
