using System.Reflection;
using System.Text;

namespace Ddpm.Core.Tests.PublicApi;

/// <summary>Lists an assembly's public surface as sorted text lines, one per type and member.</summary>
internal static class PublicApiListing
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Describe(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.AppendLine(TypeLine(type));
            foreach (string member in Members(type).Order(StringComparer.Ordinal))
            {
                text.Append("  ").AppendLine(member);
            }
        }

        return text.ToString();
    }

    private static string TypeLine(Type type)
    {
        string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : type.IsSealed ? "sealed class" : type.IsAbstract ? "abstract class" : "class";
        var bases = new List<string>();
        if (type.BaseType is Type b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"{kind} {Name(type)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty)}";
    }

    private static IEnumerable<string> Members(Type type)
    {
        if (type.IsEnum)
        {
            foreach (string name in Enum.GetNames(type))
            {
                yield return $"{name} = {Convert.ToInt64(Enum.Parse(type, name), System.Globalization.CultureInfo.InvariantCulture)}";
            }

            yield break;
        }

        foreach (MemberInfo member in type.GetMembers(Declared))
        {
            if (member.Name.StartsWith('<') || member is Type)
            {
                continue;
            }

            switch (member)
            {
                case ConstructorInfo c:
                    yield return $"ctor({Parameters(c)})";
                    break;
                case MethodInfo m when !m.IsSpecialName:
                    yield return $"{(m.IsStatic ? "static " : string.Empty)}{Name(Nullability.Create(m.ReturnParameter))} {m.Name}{(m.IsGenericMethod ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : string.Empty)}({Parameters(m)})";
                    break;
                case PropertyInfo p:
                    string accessors = (p.GetMethod?.IsPublic == true ? "get; " : string.Empty) + (p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? "init; " : "set; ") : string.Empty);
                    bool isStatic = (p.GetMethod ?? p.SetMethod)?.IsStatic == true;
                    NullabilityInfo property = Nullability.Create(p);
                    yield return $"{(isStatic ? "static " : string.Empty)}{Name(property, write: p.GetMethod?.IsPublic != true)} {p.Name} {{ {accessors}}}";
                    break;
                case FieldInfo f:
                    yield return $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : string.Empty)}{(f.IsInitOnly ? "readonly " : string.Empty)}{Name(Nullability.Create(f))} {f.Name}{(f.IsLiteral ? $" = {f.GetRawConstantValue()}" : string.Empty)}";
                    break;
                case EventInfo e:
                    yield return $"event {Name(e.EventHandlerType!)} {e.Name}";
                    break;
            }
        }
    }

    private static readonly NullabilityInfoContext Nullability = new();

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : string.Empty)}{Name(Nullability.Create(p), write: p.IsOut)} {p.Name}{(p.HasDefaultValue ? $" = {p.DefaultValue ?? "null"}" : string.Empty)}"));

    /// <summary>A type as the API declares it, with <c>?</c> on reference types annotated nullable (C#'s nullable reference types).</summary>
    private static string Name(NullabilityInfo info, bool write = false)
    {
        Type type = info.Type.IsByRef ? info.Type.GetElementType()! : info.Type;
        string name;
        if (info.ElementType is NullabilityInfo element)
        {
            name = Name(element) + "[]";
        }
        else if (type.IsGenericType && info.GenericTypeArguments.Length > 0 && Nullable.GetUnderlyingType(type) is null)
        {
            string generic = Name(type.GetGenericTypeDefinition());
            name = $"{generic[..generic.IndexOf('<', StringComparison.Ordinal)]}<{string.Join(", ", info.GenericTypeArguments.Select(a => Name(a)))}>";
        }
        else
        {
            name = Name(type);
        }

        NullabilityState state = write ? info.WriteState : info.ReadState;
        return !type.IsValueType && state == NullabilityState.Nullable ? name + "?" : name;
    }

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        string name = type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : $"{type.Namespace}.{type.Name}";
        if (!type.IsGenericType)
        {
            return name;
        }

        return $"{name[..name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>";
    }
}
