using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>
/// Finds, in the IL, where Ddpm.Core lets a TorchSharp <c>Scalar</c> be created that nothing keeps alive. TorchSharp's
/// implicit conversions (<c>x * 0.5</c>, <c>clamp(-1, 1)</c>) and many of its own methods (<c>a + b</c> passes an alpha of
/// 1) make a finalizable Scalar, read its native handle and call libtorch; from then on nothing references the Scalar,
/// so a garbage collection during the call can run its finalizer and free it while libtorch reads it ("Expected false
/// to be true ... toFloat at Scalar.h:140", or worse). A TorchSharp method is hazardous when its body makes a Scalar
/// (<c>Scalar.op_Implicit</c>, <c>To*Scalar</c>) or calls a hazardous TorchSharp method.
/// </summary>
internal sealed class ScalarAudit
{
    private readonly Dictionary<string, bool> _hazardous = new(StringComparer.Ordinal);

    public ScalarAudit()
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        var parameters = new ReaderParameters { AssemblyResolver = resolver };
        TorchSharp = AssemblyDefinition.ReadAssembly(typeof(TorchSharp.torch).Assembly.Location, parameters).MainModule;
        Library = AssemblyDefinition.ReadAssembly(typeof(DdpmModel).Assembly.Location, parameters).MainModule;
    }

    public ModuleDefinition TorchSharp { get; }

    public ModuleDefinition Library { get; }

    /// <summary>Every call in Ddpm.Core, outside <paramref name="keeper"/>, that makes a Scalar or calls a hazardous TorchSharp method: "caller: callee".</summary>
    public IReadOnlyList<string> UnkeptScalarsInLibrary(string keeper) =>
        [.. from type in AllTypes(Library)
            where type.FullName != keeper && !type.FullName.StartsWith(keeper + "/", StringComparison.Ordinal)
            from method in type.Methods
            where method.HasBody
            from callee in Callees(method)
            where MakesScalar(callee) || IsHazardous(callee)
            select $"{Describe(method)}: {callee.DeclaringType.Name}.{callee.Name}"];

    /// <summary>Whether a TorchSharp method (by its definition's full name) makes a Scalar, itself or through another TorchSharp method.</summary>
    public bool IsHazardous(MethodReference method)
    {
        MethodDefinition? definition = Resolve(method);
        if (definition is null || definition.Module.Assembly.Name.Name != TorchSharp.Assembly.Name.Name)
        {
            return false;
        }

        if (_hazardous.TryGetValue(definition.FullName, out bool known))
        {
            return known;
        }

        // Provisionally safe while it is being looked at, so that recursion ends.
        _hazardous[definition.FullName] = false;
        bool hazardous = definition.HasBody && Callees(definition).Any(c => MakesScalar(c) || IsHazardous(c));
        _hazardous[definition.FullName] = hazardous;
        return hazardous;
    }

    /// <summary>The TorchSharp definition of <paramref name="type"/>'s <c>forward</c> (its own or inherited), or null.</summary>
    public MethodDefinition? Forward(Type type)
    {
        for (Type? t = type; t is not null; t = t.BaseType)
        {
            TypeDefinition? definition = AllTypes(TorchSharp).FirstOrDefault(d => d.FullName == t.FullName?.Replace('+', '/'));
            MethodDefinition? forward = definition?.Methods.FirstOrDefault(m => m.Name == "forward" && m.HasBody);
            if (forward is not null)
            {
                return forward;
            }
        }

        return null;
    }

    private MethodDefinition? Resolve(MethodReference method)
    {
        try
        {
            return method.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static bool MakesScalar(MethodReference method) =>
        method.DeclaringType.FullName is "TorchSharp.Scalar" && method.Name == "op_Implicit"
        || method.DeclaringType.FullName is "TorchSharp.ScalarExtensionMethods" && method.Name.StartsWith("To", StringComparison.Ordinal) && method.Name.EndsWith("Scalar", StringComparison.Ordinal);

    private static IEnumerable<MethodReference> Callees(MethodDefinition method) =>
        method.Body.Instructions
            .Where(i => i.OpCode.Code is Code.Call or Code.Callvirt or Code.Newobj or Code.Ldftn or Code.Ldvirtftn)
            .Select(i => (MethodReference)i.Operand);

    private static string Describe(MethodDefinition method) => $"{method.DeclaringType.FullName}::{method.Name}";

    private static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
    {
        var pending = new Stack<TypeDefinition>(module.Types);
        while (pending.Count > 0)
        {
            TypeDefinition type = pending.Pop();
            yield return type;
            foreach (TypeDefinition nested in type.NestedTypes)
            {
                pending.Push(nested);
            }
        }
    }
}
