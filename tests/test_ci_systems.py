"""Every CI system on a realistic config: triggers, commands, manual gates, files it runs."""

from __future__ import annotations

import textwrap

from mlscorecard.detectors.ci import detect_ci
from mlscorecard.snapshot import Snapshot

CODE = {
    "tests/test_model.py": "def test_a():\n    assert f() == 1\n",
    "tests/unit/test_features.py": "def test_b():\n    assert g() == 2\n",
    "src/train.py": "print('train')\n",
    "deploy/rollback.sh": "kubectl rollout undo deployment/m\n",
}


def ci_of(files: dict[str, str]):
    snap = Snapshot.from_files({**CODE, **{k: textwrap.dedent(v) for k, v in files.items()}})
    return detect_ci(snap), snap


def automated(ci) -> dict[str, str | None]:
    return {p: (ci.automated_by(p).workflow if ci.automated_by(p) else None) for p in sorted(ci.executions)}


def test_gitlab_jobs_rules_includes_and_manual_jobs():
    ci, _ = ci_of({
        ".gitlab-ci.yml": """
            include:
              - local: ci/train.yml
            default:
              before_script:
                - pip install -r requirements.txt
            test:
              stage: test
              script:
                - pytest tests/unit
              rules:
                - if: $CI_PIPELINE_SOURCE == "merge_request_event"
            rollback:
              stage: deploy
              script: ./deploy/rollback.sh
              when: manual
        """,
        "ci/train.yml": """
            nightly-train:
              script: python src/train.py
              rules:
                - if: $CI_PIPELINE_SOURCE == "schedule"
        """,
    })
    assert automated(ci) == {"deploy/rollback.sh": None, "src/train.py": "ci/train.yml",
                             "tests/unit/test_features.py": ".gitlab-ci.yml"}
    triggers = {(w.path, tuple(sorted(w.effective_triggers))) for w in ci.workflows}
    assert (".gitlab-ci.yml", ("manual",)) in triggers
    assert ("ci/train.yml", ("push", "schedule")) in triggers
    assert (".gitlab-ci.yml", ("pull_request", "push")) in triggers


def test_azure_pipelines_templates_parameters_and_manual_validation():
    ci, _ = ci_of({
        ".azure-pipelines/ci.yml": """
            trigger: none
            pr:
              branches:
                include: [main]
            stages:
              - template: templates/run.yml
                parameters:
                  script_parameter: python src/train.py --smoke
        """,
        ".azure-pipelines/templates/run.yml": """
            parameters:
              - name: script_parameter
                type: string
            stages:
              - stage: run
                jobs:
                  - job: run
                    steps:
                      - script: pytest tests/test_model.py
                      - task: AzureCLI@2
                        inputs:
                          scriptType: bash
                          inlineScript: ${{ parameters.script_parameter }}
        """,
        ".azure-pipelines/release.yml": """
            trigger:
              branches:
                include: [main]
            schedules:
              - cron: "0 3 * * 1"
                branches: {include: [main]}
            steps:
              - task: ManualValidation@0
              - bash: ./deploy/rollback.sh
        """,
    })
    got = automated(ci)
    assert got["src/train.py"] == ".azure-pipelines/ci.yml"
    assert got["tests/test_model.py"] == ".azure-pipelines/ci.yml"
    assert got["deploy/rollback.sh"] is None  # after a ManualValidation gate
    paths = sorted(w.path for w in ci.workflows)
    assert paths == [".azure-pipelines/ci.yml", ".azure-pipelines/release.yml"]  # the template is not a pipeline
    release = next(w for w in ci.workflows if w.path.endswith("release.yml"))
    assert release.effective_triggers == {"push", "pull_request", "schedule"}  # Azure: no pr key = PRs validated


def test_azure_pipelines_folder_and_templates_a_pipeline_elsewhere_includes():
    ci, _ = ci_of({
        "azure-pipelines/PIPELINE-1-training.yml": """
            trigger: none
            pr:
              branches:
                include: [main]
            steps:
              - script: python src/train.py
        """,
        # included only by infra/setup.yml, which is not a candidate by name
        "azure-pipelines/templates/setup-compute.template.yml": """
            parameters:
              - name: environment
                type: string
            jobs:
              - job: compute
                steps:
                  - script: pytest tests/test_model.py
        """,
    })
    assert automated(ci)["src/train.py"] == "azure-pipelines/PIPELINE-1-training.yml"
    assert sorted(w.path for w in ci.workflows) == ["azure-pipelines/PIPELINE-1-training.yml"]


def test_an_azure_pipeline_in_a_folder_of_its_own_is_found_by_its_trigger_and_body():
    ci, _ = ci_of({
        "devops/pipeline/pr_to_dev_pipeline.yml": """
            trigger: none
            pr:
              branches:
                include: [development]
            pool:
              vmImage: ubuntu-latest
            steps:
              - template: templates/run_job.yml
                parameters:
                  spec: ./mlops/pipeline.yml
        """,
        "devops/pipeline/templates/run_job.yml": """
            parameters:
              - name: spec
                type: string
            steps:
              - bash: |
                  run_id=$(az ml job create -f ${{ parameters.spec }} --query name -o tsv)
                  status=$(az ml job show -n $run_id --query status -o tsv)
        """,
        "mlops/pipeline.yml": """
            type: pipeline
            jobs:
              train_job:
                code: ../src
                command: python train.py --data ${{inputs.data}}
        """,
        # an Azure ML pipeline definition: a body, no trigger; a variables file: neither
        "devops/pipeline/variables.yml": "variables:\n  - name: CLUSTER\n    value: cpu\n",
    })
    got = automated(ci)
    assert got["src/train.py"] == "devops/pipeline/pr_to_dev_pipeline.yml"  # through `$(az ml job create ...)`
    assert sorted(w.path for w in ci.workflows) == ["devops/pipeline/pr_to_dev_pipeline.yml"]
    assert ci.workflows[0].effective_triggers == {"pull_request"}


def test_command_substitutions_are_commands_and_macros_are_not():
    from mlscorecard.detectors.ci import command_substitutions

    assert command_substitutions("id=$(az ml job create -f j.yml --set a=$(EXP) -o tsv)") == [
        "az ml job create -f j.yml --set a=$(EXP) -o tsv"]
    assert command_substitutions("echo $(EXPERIMENT_NAME) $((1 + 2)) $(date +%s)") == ["date +%s"]
    assert command_substitutions("echo $(python -c 'print((1))') $(unclosed x") == ["python -c 'print((1))'"]


def test_a_script_in_a_published_copy_of_the_repository_is_the_repository_file():
    ci, _ = ci_of({
        "mlops/build_pipeline.py": "print('publish')\n",
        "azure-pipelines.yml": """
            trigger: [main]
            steps:
              - script: python $(System.ArtifactsDirectory)/deploymentcode/mlops/build_pipeline.py --version 1
              - script: python $(Build.SourcesDirectory)/$(PROJECT)/train.py
        """,
    })
    got = automated(ci)
    assert got["mlops/build_pipeline.py"] == "azure-pipelines.yml"
    assert "src/train.py" not in got  # a tail that is itself a variable is not guessed


def test_azure_pipeline_triggered_by_another_pipeline_completing_is_automated():
    ci, _ = ci_of({
        "mlops/smoke_test.py": "print('call the endpoint')\n",
        ".pipelines/cd.yml": """
            trigger: none
            pr: none
            resources:
              pipelines:
                - pipeline: train-ci
                  source: Model-Train-CI
                  trigger:
                    branches:
                      include: [main]
            steps:
              - script: python mlops/smoke_test.py
        """,
        ".pipelines/by-hand.yml": """
            trigger: none
            pr: none
            resources:
              pipelines:
                - pipeline: train-ci
                  source: Model-Train-CI
            steps:
              - script: python src/train.py
        """,
    })
    got = automated(ci)
    assert got["mlops/smoke_test.py"] == ".pipelines/cd.yml"
    assert got["src/train.py"] is None  # a pipeline resource without a trigger only downloads artifacts


def test_gitlab_jobs_extending_hidden_templates():
    ci, _ = ci_of({
        ".gitlab-ci.yml": """
            .python:
              image: python:3.11
              before_script:
                - pip install -r requirements.txt
              script:
                - pytest tests/unit
            .manual:
              when: manual
            unit:
              extends: .python
            retrain:
              extends: [.python, .manual]
              script: python src/train.py
        """,
    })
    got = automated(ci)
    assert got["tests/unit/test_features.py"] == ".gitlab-ci.yml"
    assert got["src/train.py"] is None  # when: manual comes from a template it extends


def test_gitlab_templates_extending_many_others_level_after_level_are_merged_once_each(monkeypatch):
    """Ten levels of six templates (GitLab follows up to eleven), each extending all six of the
    level below: merged naively that is 6^9 merges; each template is merged once."""
    import mlscorecard.detectors.ci_systems as systems

    lines = []
    for level in range(10):
        for j in range(6):
            below = ", ".join(f".l{level - 1}_{k}" for k in range(6))
            lines.append(f".l{level}_{j}:\n  " + (f"extends: [{below}]" if level else "script: [pytest tests]"))
    lines.append("job:\n  extends: [" + ", ".join(f".l9_{k}" for k in range(6)) + "]")
    calls = []
    merge = systems._gitlab_extended
    monkeypatch.setattr(systems, "_gitlab_extended", lambda *a, **k: calls.append(1) or merge(*a, **k))
    ci, _ = ci_of({".gitlab-ci.yml": "\n".join(lines) + "\n",
                   "tests/test_model.py": "def test_fit():\n    assert fit()\n"})
    assert automated(ci)["tests/test_model.py"] == ".gitlab-ci.yml"  # the script comes from the bottom level
    assert len(calls) <= 6 * 6 * 10  # one call per `extends` entry; naively about 10 million


def test_dvc_stages_and_mlflow_entry_points_run_by_ci():
    ci, _ = ci_of({
        "dvc.yaml": """
            stages:
              featurize:
                cmd: python features.py
                wdir: src
              train:
                cmd:
                  - python src/train.py
        """,
        "src/features.py": "print('features')\n",
        "MLproject": """
            name: demo
            entry_points:
              main:
                command: "python src/train.py --alpha {alpha}"
              rollback:
                command: "bash deploy/rollback.sh"
        """,
        ".github/workflows/cml.yml": """
            on: pull_request
            jobs:
              run:
                runs-on: ubuntu-latest
                steps:
                  - run: dvc repro
                  - run: mlflow run . -e rollback -P x=1
                  - run: mlflow run https://github.com/org/other
        """,
    })
    got = automated(ci)
    assert got["src/features.py"] == ".github/workflows/cml.yml"
    assert got["src/train.py"] == ".github/workflows/cml.yml"
    assert got["deploy/rollback.sh"] == ".github/workflows/cml.yml"


def test_circleci_workflows_schedules_and_approvals():
    ci, _ = ci_of({".circleci/config.yml": """
        version: 2.1
        jobs:
          test:
            steps:
              - checkout
              - run: pytest tests
          train:
            steps:
              - run:
                  command: python src/train.py
          rollback:
            steps:
              - run: ./deploy/rollback.sh
        workflows:
          build:
            jobs:
              - test
              - hold:
                  type: approval
              - rollback
          nightly:
            triggers:
              - schedule:
                  cron: "0 0 * * *"
                  filters: {branches: {only: [main]}}
            jobs:
              - train
    """})
    got = automated(ci)
    assert got["tests/test_model.py"] == ".circleci/config.yml"
    assert got["src/train.py"] == ".circleci/config.yml"
    assert got["deploy/rollback.sh"] is None


def test_travis_bitbucket_buildkite():
    ci, _ = ci_of({
        ".travis.yml": "language: python\ninstall: pip install .\nscript:\n  - pytest tests/unit\n",
        "bitbucket-pipelines.yml": """
            pipelines:
              pull-requests:
                '**':
                  - step:
                      script:
                        - pytest tests/test_model.py
              custom:
                rollback:
                  - step:
                      script:
                        - ./deploy/rollback.sh
        """,
        ".buildkite/pipeline.yml": """
            steps:
              - command: python src/train.py
              - block: "Release?"
              - command: ./deploy/rollback.sh
        """,
    })
    got = automated(ci)
    assert got["tests/unit/test_features.py"] == ".travis.yml"
    assert got["tests/test_model.py"] == "bitbucket-pipelines.yml"
    assert got["src/train.py"] == ".buildkite/pipeline.yml"
    assert got["deploy/rollback.sh"] is None  # custom pipeline / after a block step


def test_jenkinsfile_shell_steps_cron_and_input():
    ci, snap = ci_of({"Jenkinsfile": """
        pipeline {
          agent any
          triggers { cron('H 2 * * *') }
          stages {
            stage('test') { steps { sh 'pytest tests/unit' } }
            stage('train') { steps { sh \"\"\"
              python src/train.py
            \"\"\" } }
            stage('approve') { steps { input message: 'Roll back?' } }
            stage('rollback') { steps { sh './deploy/rollback.sh' } }
          }
        }
    """})
    got = automated(ci)
    assert got["tests/unit/test_features.py"] == "Jenkinsfile" and got["src/train.py"] == "Jenkinsfile"
    assert got["deploy/rollback.sh"] is None
    assert ci.workflows[0].effective_triggers == {"push", "schedule"}
    assert snap.warnings == []


def test_unparseable_jenkinsfile_is_a_warning():
    _, snap = ci_of({"Jenkinsfile": "@Library('shared') _\nstandardPipeline { stages = ['build'] }\nstages {\n}\n"})
    assert snap.warnings[0].message.startswith("Jenkinsfile: no shell steps recognised")


def test_pre_commit_is_local_until_ci_runs_it():
    hooks = """
        repos:
          - repo: local
            hooks:
              - id: unit
                name: unit tests
                entry: pytest tests/unit
                language: system
          - repo: https://github.com/astral-sh/ruff-pre-commit
            rev: v0.6.0
            hooks:
              - id: ruff
    """
    ci, _ = ci_of({".pre-commit-config.yaml": hooks})
    assert automated(ci) == {"tests/unit/test_features.py": None}
    ci, _ = ci_of({".pre-commit-config.yaml": hooks, ".github/workflows/lint.yml": """
        on: pull_request
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: pre-commit run --all-files
    """})
    assert automated(ci) == {"tests/unit/test_features.py": ".pre-commit-config.yaml"}


def test_github_reusable_workflow_and_action_inputs_are_substituted():
    ci, _ = ci_of({
        ".github/workflows/caller.yml": """
            on: pull_request
            jobs:
              call:
                uses: ./.github/workflows/platform.yml
                with:
                  entry: ${{ inputs.entry || 'src/train.py' }}
        """,
        ".github/workflows/platform.yml": """
            on:
              workflow_call:
                inputs:
                  entry: {type: string, required: true}
            jobs:
              run:
                runs-on: ubuntu-latest
                steps:
                  - uses: ./.github/actions/shell
                    with:
                      script_parameter: python ${{ inputs.entry }} --fast
        """,
        ".github/actions/shell/action.yml": """
            inputs:
              script_parameter: {required: true}
            runs:
              using: composite
              steps:
                - run: ${{ inputs.script_parameter }}
                  shell: bash
        """,
    })
    assert automated(ci) == {"src/train.py": ".github/workflows/platform.yml"}


def test_gitlab_rules_manual_only_when_every_active_rule_is_manual():
    ci, _ = ci_of({".gitlab-ci.yml": """
        deploy-review:
          script: ./deploy/rollback.sh
          rules:
            - if: $CI_COMMIT_BRANCH == "main"
              when: never
            - if: $CI_MERGE_REQUEST_ID
              when: manual
        train:
          script: python src/train.py
          rules:
            - if: $CI_PIPELINE_SOURCE == "schedule"
            - if: $CI_PIPELINE_SOURCE == "web"
              when: manual
    """})
    assert automated(ci) == {"deploy/rollback.sh": None, "src/train.py": ".gitlab-ci.yml"}


def test_cloud_build_steps_are_followed_and_count_as_ci_whose_trigger_a_person_confirms():
    ci, _ = ci_of({"build/pipeline-deployment.yaml": """
        steps:
        - name: 'gcr.io/cloud-builders/git'
          args: ['clone', '--depth', '1', '$_REPO_URL']
        - name: '$_CICD_IMAGE_URI'
          entrypoint: 'pytest'
          args: ['tests/test_model.py', '-s']
          dir: 'my-repo'
        - name: 'python:3.11'
          entrypoint: 'bash'
          args: ['-c', 'python src/train.py --smoke']
    """})
    # the calibration standard counts a Cloud Build config as CI; its trigger lives in the cloud
    # project, so the evidence it automates carries less confidence (and asks a person)
    assert automated(ci) == {"src/train.py": "build/pipeline-deployment.yaml",
                             "tests/test_model.py": "build/pipeline-deployment.yaml"}
    (wf,) = ci.workflows
    assert wf.system == "cloud-build" and wf.effective_triggers == {"external"}
    assert ci.external_only("build/pipeline-deployment.yaml")
    assert [s.text for s in wf.steps] == ["git clone --depth 1 '$_REPO_URL'", "pytest tests/test_model.py -s",
                                          "python src/train.py --smoke"]


CODEPIPELINE = """
    Resources:
      BuildProject:
        Type: AWS::CodeBuild::Project
        Properties:
          Source:
            Type: CODEPIPELINE
            BuildSpec: model/buildspec.yml
      Pipeline:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          Stages:
            - Name: Source
              Actions:
                - Name: GitSource
                  ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
            - Name: Build
              Actions:
                - Name: BuildTemplates
                  ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
                  Configuration:
                    ProjectName: !Ref BuildProject
            - Name: DeployDev
              Actions:
                - Name: DeployModelDev
                  ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
                  Configuration:
                    TemplatePath: BuildOutput::deploy-model-dev.yml
            - Name: DeployPrd
              Actions:
                - Name: ApproveDeployment
                  ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
                - Name: DeployModelPrd
                  ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
                  Configuration:
                    TemplatePath: BuildOutput::packaged-model-prd.yml
"""
BUILDSPEC = """
    version: 0.2
    phases:
      build:
        commands:
          - cd $CODEBUILD_SRC_DIR
          - python model/run_pipeline.py --model-name=x
      post_build:
        commands:
          - aws cloudformation package --template-file assets/deploy-model-prd.yml --output-template-file assets/packaged-model-prd.yml --s3-bucket b
"""


def test_a_codepipeline_runs_its_buildspec_and_deploys_its_stacks():
    ci, _ = ci_of({"pipeline.yml": CODEPIPELINE, "model/buildspec.yml": BUILDSPEC,
                   "model/run_pipeline.py": "print(1)\n", "assets/deploy-model-dev.yml": "Resources: {}\n",
                   "assets/deploy-model-prd.yml": "Resources: {}\n"})
    (wf,) = ci.workflows
    assert wf.system == "aws-codepipeline" and wf.effective_triggers == {"push"}
    assert automated(ci) == {"assets/deploy-model-dev.yml": "pipeline.yml", "assets/deploy-model-prd.yml": "pipeline.yml",
                             "model/run_pipeline.py": "pipeline.yml"}
    (prd,) = ci.executions["assets/deploy-model-prd.yml"]
    assert prd.how == "codepipeline cloudformation deploy after a manual approval"
    assert "manual approval: ApproveDeployment" in [s.text for s in wf.steps]


def test_a_buildspec_no_pipeline_runs_has_an_external_trigger():
    ci, _ = ci_of({"buildspec.yml": BUILDSPEC, "model/run_pipeline.py": "print(1)\n"})
    (wf,) = ci.workflows
    assert wf.system == "aws-codebuild" and wf.effective_triggers == {"external"}
    assert automated(ci) == {"model/run_pipeline.py": "buildspec.yml"} and ci.external_only("buildspec.yml")


def test_deploy_commands_apply_templates_and_manifests():
    ci, _ = ci_of({
        ".github/workflows/deploy.yml": """
            on: push
            jobs:
              deploy:
                runs-on: ubuntu-latest
                steps:
                  - run: kubectl apply -f k8s/
                  - run: aws cloudformation deploy --template-file infra/endpoint.yml --stack-name s
                  - run: sam deploy -t serverless.yaml
                  - run: aws cloudformation describe-stacks --stack-name s
        """,
        "k8s/canary.yaml": "kind: InferenceService\n", "k8s/hpa.yml": "kind: HorizontalPodAutoscaler\n",
        "infra/endpoint.yml": "Resources: {}\n", "serverless.yaml": "Resources: {}\n",
    })
    assert set(automated(ci)) == {"k8s/canary.yaml", "k8s/hpa.yml", "infra/endpoint.yml", "serverless.yaml"}


def test_notebooks_run_by_ci_count_as_executed():
    ci, _ = ci_of({
        ".github/workflows/nb.yml": """
            on: push
            jobs:
              nb:
                runs-on: ubuntu-latest
                steps:
                  - run: papermill notebooks/train.ipynb out.ipynb -p epochs 1
                  - run: jupyter nbconvert --to notebook --execute notebooks/eval.ipynb
                  - run: pytest --nbmake notebooks/smoke
                  - run: jupyter nbconvert --to html notebooks/report.ipynb
        """,
        "notebooks/train.ipynb": "{}", "notebooks/eval.ipynb": "{}", "notebooks/smoke/a.ipynb": "{}",
        "notebooks/report.ipynb": "{}",
    })
    assert set(automated(ci)) == {"notebooks/train.ipynb", "notebooks/eval.ipynb", "notebooks/smoke/a.ipynb"}
