using System.IO.Compression;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Tests.Fuzzing;

/// <summary>The readers a <see cref="InputFuzzer"/> run attacks.</summary>
internal enum FuzzTarget
{
    /// <summary><see cref="ImageFolderDataset"/> over one corrupted PNG, JPEG, BMP, GIF, TGA, TIFF or WebP file.</summary>
    ImageFolder,

    /// <summary><see cref="IdxImageDataset"/> over a corrupted IDX file, plain or gzipped.</summary>
    Idx,

    /// <summary><see cref="CheckpointInfo.Read"/> and <see cref="DdpmModel.Load"/> over a corrupted saved model.</summary>
    Checkpoint,

    /// <summary><see cref="SafeTensors.Read(string)"/> over a corrupted safetensors file.</summary>
    SafeTensors,

    /// <summary><see cref="PyTorchStateDict.Read"/> over a corrupted <c>torch.save</c> state_dict.</summary>
    PyTorch,
}

/// <summary>One input that made a reader throw something other than its documented exception.</summary>
internal sealed record FuzzFailure(FuzzTarget Target, int Case, string Mutation, string Exception);

/// <summary>How a fuzz run went: inputs that still loaded, inputs refused as documented, and failures.</summary>
internal sealed record FuzzReport(FuzzTarget Target, int Cases, int Loaded, int Refused, IReadOnlyList<FuzzFailure> Failures);

/// <summary>
/// Feeds the library's file readers valid files corrupted at random (bit flips, overwritten bytes,
/// large integers, truncation, insertion, duplicated and zeroed ranges) and checks that each either
/// loads or throws the reader's documented exception: <see cref="InvalidDataException"/> for image
/// folders, IDX, safetensors and <c>torch.save</c> files, <see cref="CheckpointFormatException"/> for checkpoints. Deterministic for a
/// seed. Shared by the test suite (a few hundred cases) and <c>ddpm-benchmarks fuzz</c> (thousands).
/// </summary>
internal static class InputFuzzer
{
    public static FuzzReport Run(FuzzTarget target, int cases, int seed, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        IReadOnlyList<(string Extension, byte[] Content)> seeds = Seeds(target, workDirectory);
        int loaded = 0, refused = 0;
        var failures = new List<FuzzFailure>();
        for (int i = 0; i < cases; i++)
        {
            // Not HashCode.Combine: its seed changes with every process, and a failing case must be reproducible.
            var random = new Random(unchecked((seed * 1_000_003) + (i * 31) + (int)target));
            (string extension, byte[] original) = seeds[random.Next(seeds.Count)];
            (byte[] content, string mutation) = Mutate(original, random);
            string folder = Path.Combine(workDirectory, $"case-{i}");
            Directory.CreateDirectory(folder);
            string file = Path.Combine(folder, $"input{extension}");
            File.WriteAllBytes(file, content);
            try
            {
                Load(target, folder, file);
                loaded++;
            }
            catch (Exception e) when (Documented(target, e))
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add(new FuzzFailure(target, i, $"{extension} {mutation}", $"{e.GetType().FullName}: {e.Message}"));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        return new FuzzReport(target, cases, loaded, refused, failures);
    }

    private static bool Documented(FuzzTarget target, Exception e) => target switch
    {
        FuzzTarget.Checkpoint => e is CheckpointFormatException,
        _ => e is InvalidDataException,
    };

        private static void Load(FuzzTarget target, string folder, string file)
    {
        switch (target)
        {
            case FuzzTarget.ImageFolder:
                _ = new ImageFolderDataset(folder, new ImageFolderDatasetOptions { ImageSize = 8, DegreeOfParallelism = 1 });
                break;
            case FuzzTarget.Idx:
                _ = new IdxImageDataset(file);
                break;
            case FuzzTarget.SafeTensors:
                using (SafeTensors.Read(file))
                {
                }

                break;
            case FuzzTarget.PyTorch:
                using (PyTorchStateDict.Read(file))
                {
                }

                break;
            default:
                _ = CheckpointInfo.Read(file);
                using (DdpmModel.Load(file))
                {
                }

                break;
        }
    }

    private static (byte[] Content, string Mutation) Mutate(byte[] original, Random random)
    {
        byte[] data = (byte[])original.Clone();
        int position = random.Next(Math.Max(1, data.Length));
        switch (random.Next(7))
        {
            case 0:
                int flips = random.Next(1, 9);
                for (int k = 0; k < flips; k++)
                {
                    int at = random.Next(data.Length);
                    data[at] ^= (byte)(1 << random.Next(8));
                }

                return (data, $"{flips} bit flip(s)");
            case 1:
                int count = random.Next(1, 17);
                for (int k = 0; k < count; k++)
                {
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                }

                return (data, $"{count} random byte(s)");
            case 2:
                // Sizes and counts are where readers over-allocate: write a large or negative 32-bit integer.
                uint[] interesting = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x00010000, 0x7FFF, 0xFFFF];
                uint value = interesting[random.Next(interesting.Length)];
                position = Math.Min(position, Math.Max(0, data.Length - 4));
                for (int k = 0; k < 4 && position + k < data.Length; k++)
                {
                    data[position + k] = (byte)(value >> (8 * (random.Next(2) == 0 ? k : 3 - k)));
                }

                return (data, $"0x{value:X8} at {position}");
            case 3:
                return (data[..position], $"truncated to {position} of {data.Length} bytes");
            case 4:
                byte[] inserted = new byte[random.Next(1, 65)];
                random.NextBytes(inserted);
                return ([.. data[..position], .. inserted, .. data[position..]], $"{inserted.Length} byte(s) inserted at {position}");
            case 5:
                int length = Math.Min(random.Next(1, 257), data.Length - position);
                return ([.. data[..(position + length)], .. data[position..(position + length)], .. data[(position + length)..]], $"{length} byte(s) at {position} repeated");
            default:
                int zeros = Math.Min(random.Next(1, 257), data.Length - position);
                Array.Clear(data, position, zeros);
                return (data, $"{zeros} byte(s) zeroed at {position}");
        }
    }

    private static IReadOnlyList<(string Extension, byte[] Content)> Seeds(FuzzTarget target, string workDirectory)
    {
        switch (target)
        {
            case FuzzTarget.ImageFolder:
                using (var image = new Image<Rgba32>(12, 10))
                {
                    for (int y = 0; y < 10; y++)
                    {
                        for (int x = 0; x < 12; x++)
                        {
                            image[x, y] = new Rgba32((byte)(x * 20), (byte)(y * 25), (byte)((x * y) % 256), (byte)(255 - x));
                        }
                    }

                    return new (string, IImageEncoder)[]
                    {
                        (".png", new PngEncoder()), (".jpg", new JpegEncoder { Quality = 80 }), (".bmp", new BmpEncoder()),
                        (".gif", new GifEncoder()), (".tga", new TgaEncoder()), (".tif", new TiffEncoder()), (".webp", new WebpEncoder()),
                    }.Select(s => (s.Item1, Encode(image, s.Item2))).ToList();
                }

            case FuzzTarget.Idx:
                byte[] idx = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, .. Enumerable.Range(0, 60).Select(i => (byte)(i * 4))];
                using (var compressed = new MemoryStream())
                {
                    using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gzip.Write(idx);
                    }

                    return [("-idx3-ubyte", idx), ("-idx3-ubyte.gz", compressed.ToArray())];
                }

            case FuzzTarget.SafeTensors or FuzzTarget.PyTorch:
                {
                    string weights = Path.Combine(workDirectory, "seed.weights");
                    using var network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 }.CreateNetwork();
                    if (target == FuzzTarget.SafeTensors)
                    {
                        SafeTensors.Write(weights, network.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
                    }
                    else
                    {
                        PyTorchStateDict.Write(weights, network.state_dict());
                    }

                    byte[] content = File.ReadAllBytes(weights);
                    File.Delete(weights);
                    return [(target == FuzzTarget.SafeTensors ? ".safetensors" : ".pt", content)];
                }

            default:
                string path = Path.Combine(workDirectory, "seed.ddpm");
                var configuration = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 };
                using (var model = new DdpmModel(configuration.CreateNetwork(), new NoiseScheduler(KnownBetaSchedules.Linear, 10), new ImageShape(1, 8, 8), configuration))
                {
                    model.Save(path);
                }

                byte[] checkpoint = File.ReadAllBytes(path);
                File.Delete(path);
                return [(".ddpm", checkpoint)];
        }
    }

    private static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
