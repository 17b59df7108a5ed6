// careledger test tooling: validates FHIR R4 JSON files with HAPI FHIR's
// instance validator, offline, against the R4 definitions inside the jars
// (hapi-fhir-validation-resources-r4). Java is test tooling only; the product
// is C++. Run through deploy/fhir/validator.sh, which fetches the jars and
// compiles this file.
//
// Usage: FhirValidate [--warnings] [--strict-profiles] FILE.json...
//
// Prints one line per ERROR or FATAL message (with --warnings also
// WARNING) as "FILE: SEVERITY LOCATION: MESSAGE" on stdout, then a summary
// line per file on stderr. Exit status: 0 when no file has an error, 1 when
// any has (or cannot be read or parsed), 2 on a usage error.
//
// A profile named in meta.profile that is not among the built-in
// definitions (the IHE BALP profiles: their package cannot be fetched
// here) is a warning, not an error, unless --strict-profiles: the resource
// is still validated against the base R4 definitions. Code systems the
// validator does not know (careledger's urn: systems) are warnings too:
// the validator's own default (HAPI 8 deprecated the support class that
// used to be needed for it).

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

public final class FhirValidate {
  private FhirValidate() {}

  public static void main(String[] args) {
    boolean warnings = false;
    boolean strictProfiles = false;
    List<Path> files = new ArrayList<>();
    for (String arg : args) {
      switch (arg) {
        case "--warnings" -> warnings = true;
        case "--strict-profiles" -> strictProfiles = true;
        default -> {
          if (arg.startsWith("-")) usage("unknown option " + arg);
          files.add(Path.of(arg));
        }
      }
    }
    if (files.isEmpty()) usage("no file given");

    FhirContext context = FhirContext.forR4();
    ValidationSupportChain chain =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(context),
            new CommonCodeSystemsTerminologyService(context),
            new InMemoryTerminologyServerValidationSupport(context),
            new SnapshotGeneratingValidationSupport(context));
    FhirInstanceValidator instanceValidator = new FhirInstanceValidator(chain);
    instanceValidator.setErrorForUnknownProfiles(strictProfiles);
    FhirValidator validator = context.newValidator();
    validator.registerValidatorModule(instanceValidator);

    boolean anyError = false;
    for (Path file : files) {
      int errors = 0;
      int warningCount = 0;
      try {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        ValidationResult result = validator.validateWithResult(text);
        for (SingleValidationMessage message : result.getMessages()) {
          ResultSeverityEnum severity = message.getSeverity();
          boolean error =
              severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL;
          if (error) errors++;
          if (severity == ResultSeverityEnum.WARNING) warningCount++;
          if (error || (warnings && severity == ResultSeverityEnum.WARNING)) {
            System.out.printf(
                "%s: %s %s: %s%n",
                file,
                severity.name(),
                message.getLocationString(),
                message.getMessage());
          }
        }
      } catch (Exception e) {  // unreadable or unparseable: an error, not a crash
        errors++;
        System.out.printf("%s: FATAL (file): %s%n", file, e);
      }
      System.err.printf(
          "FhirValidate: %s: %d error(s), %d warning(s)%n", file, errors, warningCount);
      if (errors > 0) anyError = true;
    }
    System.exit(anyError ? 1 : 0);
  }

  private static void usage(String problem) {
    System.err.println("FhirValidate: " + problem);
    System.err.println("usage: FhirValidate [--warnings] [--strict-profiles] FILE.json...");
    System.exit(2);
  }
}
