namespace Ddpm.Core.Models;

/// <summary>
/// A network whose forward pass follows <see cref="InferenceForward"/> on the calling thread instead of its modules'
/// training flags, so that sampling it changes nothing in it and any number of threads can sample it at once. The
/// library's own networks implement it; a network without it is sampled one call at a time, its flags switched and put back.
/// </summary>
internal interface IInferenceForwardNetwork
{
}
