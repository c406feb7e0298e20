using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

/// <summary>What every refused request answers: <c>{"error": "..."}</c> with its status code.</summary>
/// <param name="Error">One line saying what was wrong and what is expected.</param>
internal sealed record ApiError(string Error)
{
    public static IResult NotFound(string what) => Results.Json(new ApiError(what), statusCode: StatusCodes.Status404NotFound);

    public static IResult BadRequest(string what) => Results.Json(new ApiError(what), statusCode: StatusCodes.Status400BadRequest);

    public static IResult Forbidden(string what) => Results.Json(new ApiError(what), statusCode: StatusCodes.Status403Forbidden);
}
