using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Ddpm.Core.Sampling;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace Ddpm.Web.Tests;

public sealed class SampleEndpointTests(ServedModel served) : IClassFixture<ServedModel>
{
    [Fact]
    public async Task Concurrent_requests_get_the_same_PNG_for_the_same_seed_as_one_request_alone()
    {
        using HttpClient client = served.Factory.CreateClient();
        byte[] alone = await client.GetByteArrayAsync("/sample?seed=1&count=2");

        int[] seeds = [1, 2, 3, 1, 2, 3];
        byte[][] together = await Task.WhenAll(seeds.Select(seed => client.GetByteArrayAsync($"/sample?seed={seed}&count=2")));

        alone.Take(8).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, "the body is a PNG file");
        together[0].Should().Equal(alone, "seed 1 beside five other requests gives the PNG it gives alone");
        together[3].Should().Equal(alone);
        together[1].Should().Equal(together[4]);
        together[2].Should().Equal(together[5]);
        together[1].Should().NotEqual(alone, "another seed draws other images");
    }

    [Theory]
    [InlineData("/sample", "seed is ''; give a whole number from 0 to 2147483647*")]
    [InlineData("/sample?seed=abc", "seed is 'abc'*")]
    [InlineData("/sample?seed=-1", "seed is '-1'*")]
    [InlineData("/sample?seed=1&count=0", "count is '0'; give a whole number from 1 to 64.")]
    [InlineData("/sample?seed=1&count=65", "count is '65'*")]
    [InlineData("/sample?seed=1&sampler=plms", "sampler is 'plms'; use one of ddpm, ddim, dpm++2m, euler, euler-a, heun*")]
    public async Task A_bad_query_value_gets_400_with_a_message_naming_it(string url, string message)
    {
        using HttpClient client = served.Factory.CreateClient();

        using HttpResponseMessage response = await client.GetAsync(url);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<Error>())!.error.Should().Match(message);
    }

    [Fact]
    public async Task A_cancelled_request_stops_its_work_and_frees_the_queue()
    {
        using HttpClient client = served.Factory.CreateClient();
        SamplingQueue queue = served.Factory.Services.GetRequiredService<SamplingQueue>();
        using var cancel = new CancellationTokenSource();

        // DDPM over all 1,000 steps of 64 images: far longer than the wait below.
        Task<HttpResponseMessage> slow = client.GetAsync("/sample?seed=5&count=64&sampler=ddpm", cancel.Token);
        SpinWait.SpinUntil(() => queue.Pending == 1, TimeSpan.FromSeconds(30)).Should().BeTrue();
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        await slow.Invoking(async t => await t).Should().ThrowAsync<OperationCanceledException>();

        SpinWait.SpinUntil(() => queue.Pending == 0, TimeSpan.FromSeconds(30)).Should().BeTrue("the work stops after its current step");
        served.Log.Messages.Should().Contain(m => m.StartsWith("Sampling cancelled in batch 1 of 1 (0 of 64 images finished)", StringComparison.Ordinal));
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20));
        using HttpResponseMessage next = await client.GetAsync("/sample?seed=1&count=1");
        next.StatusCode.Should().Be(HttpStatusCode.OK, "the queue serves the next request");
    }

    [Fact]
    public async Task The_page_offers_the_form()
    {
        using HttpClient client = served.Factory.CreateClient();

        string page = await client.GetStringAsync("/");

        page.Should().Contain("<form id=\"form\">").And.Contain("fetch('/sample?'");
    }

    private sealed record Error(string error);
}
